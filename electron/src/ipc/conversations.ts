/**
 * Conversations for the window: the list, one conversation's timeline, and the hand-off
 * buttons. Reads come from the replica's `*_all` views (synced rows merged with the agent's own
 * optimistic ones); take-over and release are outbox changes written through the agent, so
 * they apply locally at once and reach the cloud when it is reachable.
 *
 *   bot / unhandled / waiting_human ──take over──► human (handler, paused until released)
 *   human / waiting_human / …       ──release────► bot   (handler and pause cleared)
 */
import { z } from 'zod'
import { newId, type Change, type ConversationState, type ReplyStatus } from '@kefu/schema'
import type { KefuAgent } from '@kefu/agent'
import {
  Channel,
  ErrorCode,
  type ConversationDetail,
  type ConversationSummary,
  type MessageItem,
  type ReplyItem,
  type StateChange,
  type TimelineItem,
} from '../api.ts'
import { IpcError, route, type Routes } from './router.ts'

/** A conversation id as the window sends it. */
export const ConversationId = z.uuid({ error: '会话编号必须是 UUID' })

export interface ConversationRoutesOptions {
  agent: Pick<KefuAgent, 'replica' | 'write'>
  /** Recorded as the conversation's handler on take-over (who holds the chat). */
  handler: string
  /** How long a take-over pauses the bot; null (default) until released. */
  takeOverMs?: number | null
  now?: () => Date
  /** The list's length; default 200. */
  listLimit?: number
  /** The most recent messages and replies shown per conversation; default 500 each. */
  timelineLimit?: number
}

const PREVIEW_CHARS = 40

/** Anything that runs SQL on the replica (the database or a transaction). */
type Queryable = Pick<KefuAgent['replica']['db'], 'query'>

interface ConversationRow {
  id: string
  chat_key: string
  title: string | null
  kind: string
  state: string
  handler: string | null
  bot_paused_until: Date | string | null
  updated_at: Date | string
  last_at: Date | string | null
  preview: string | null
  unanswered: number
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString()
const isoOrNull = (v: Date | string | null): string | null => (v === null ? null : iso(v))

function preview(text: string | null): string | null {
  if (text === null) return null
  const flat = text.replace(/\s+/g, ' ').trim()
  const chars = [...flat]
  return chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS).join('')}…` : flat
}

function toSummary(r: ConversationRow): ConversationSummary {
  return {
    id: r.id,
    chatKey: r.chat_key,
    title: r.title ?? r.chat_key,
    kind: r.kind === 'group' ? 'group' : 'direct',
    state: r.state as ConversationState,
    handler: r.handler,
    botPausedUntil: isoOrNull(r.bot_paused_until),
    lastAt: iso(r.last_at ?? r.updated_at),
    preview: preview(r.preview),
    unanswered: r.unanswered,
  }
}

const summarySql = (where: string) => `
  SELECT c.id, c.chat_key, c.title, c.kind, c.state, c.handler, c.bot_paused_until, c.updated_at,
         m.last_at, m.preview, coalesce(u.n, 0)::int AS unanswered
    FROM conversations_all c
    LEFT JOIN LATERAL (
      SELECT x.captured_at AS last_at, x.text AS preview FROM messages_all x
       WHERE x.conversation_id = c.id ORDER BY x.captured_at DESC, x.created_at DESC, x.id DESC LIMIT 1) m ON true
    LEFT JOIN LATERAL (
      SELECT count(*) AS n FROM messages_all y
       WHERE y.conversation_id = c.id AND y.direction = 'in' AND y.answered_by IS NULL) u ON true
   ${where}`

/** Conversations, most recent activity first. */
export async function listConversations(
  db: Queryable,
  limit = 200,
): Promise<ConversationSummary[]> {
  const rows = await db.query<ConversationRow>(
    `${summarySql('')} ORDER BY coalesce(m.last_at, c.updated_at) DESC, c.id LIMIT $1`,
    [limit],
  )
  return rows.map(toSummary)
}

/** One conversation's summary, or null when the replica does not hold it. */
export async function findConversation(
  db: Queryable,
  id: string,
): Promise<ConversationSummary | null> {
  const rows = await db.query<ConversationRow>(`${summarySql('WHERE c.id = $1::uuid')}`, [id])
  return rows[0] ? toSummary(rows[0]) : null
}

/** A conversation and its latest messages and replies, merged oldest first. */
export async function conversationDetail(
  db: Queryable,
  id: string,
  limit = 500,
): Promise<ConversationDetail | null> {
  const conversation = await findConversation(db, id)
  if (!conversation) return null
  const messages = await db.query<{
    id: string
    direction: string
    sender: string | null
    text: string
    captured_at: Date | string
    origin: string
    answered_by: string | null
  }>(
    `SELECT id, direction, sender, text, captured_at, origin, answered_by FROM messages_all
      WHERE conversation_id = $1::uuid ORDER BY captured_at DESC, created_at DESC, id DESC LIMIT $2`,
    [id, limit],
  )
  const replies = await db.query<{
    id: string
    text: string
    origin: string
    status: string
    error: string | null
    created_at: Date | string
    sent_at: Date | string | null
  }>(
    `SELECT id, text, origin, status, error, created_at, sent_at FROM replies_all
      WHERE conversation_id = $1::uuid ORDER BY created_at DESC, id DESC LIMIT $2`,
    [id, limit],
  )
  // Newest first to apply the limit; the timeline reads oldest first.
  messages.reverse()
  replies.reverse()
  const items: TimelineItem[] = [
    ...messages.map((m): MessageItem => ({
      type: 'message',
      id: m.id,
      direction: m.direction === 'out' ? 'out' : 'in',
      sender: m.sender,
      text: m.text,
      at: iso(m.captured_at),
      origin: m.origin,
      answeredBy: m.answered_by,
    })),
    ...replies.map((r): ReplyItem => ({
      type: 'reply',
      id: r.id,
      text: r.text,
      origin: r.origin,
      status: r.status as ReplyStatus,
      error: r.error,
      at: iso(r.created_at),
      sentAt: isoOrNull(r.sent_at),
    })),
  ]
  // A stable sort keeps each list's order on equal times; a message precedes its reply.
  const rank = (i: TimelineItem) => (i.type === 'message' ? 0 : 1)
  items.sort((a, b) => a.at.localeCompare(b.at) || rank(a) - rank(b))
  return { conversation, items }
}

/** The conversation routes of an agent. */
export function conversationRoutes(o: ConversationRoutesOptions): Routes {
  const now = o.now ?? (() => new Date())
  const db = () => o.agent.replica.db
  const must = async (id: string): Promise<ConversationSummary> => {
    const c = await findConversation(db(), id)
    if (!c) throw new IpcError(ErrorCode.notFound, '会话不存在（可能尚未同步）')
    return c
  }
  const setState = async (
    id: string,
    set: Extract<Change, { kind: 'update_conversation' }>['set'],
  ) => {
    await o.agent.write([{ id: newId(), kind: 'update_conversation', pk: id, set }])
  }
  return {
    [Channel.conversations]: route(z.undefined(), () => listConversations(db(), o.listLimit)),
    [Channel.messages]: route(ConversationId, async (id) => {
      const d = await conversationDetail(db(), id, o.timelineLimit)
      if (!d) throw new IpcError(ErrorCode.notFound, '会话不存在（可能尚未同步）')
      return d
    }),
    [Channel.takeOver]: route(ConversationId, async (id): Promise<StateChange> => {
      const c = await must(id)
      if (c.state === 'human' && c.handler === o.handler)
        return { id, state: c.state, changed: false }
      const ttl = o.takeOverMs ?? null
      await setState(id, {
        state: 'human',
        handler: o.handler,
        bot_paused_until: ttl === null ? null : new Date(now().getTime() + ttl).toISOString(),
      })
      return { id, state: 'human', changed: true }
    }),
    [Channel.release]: route(ConversationId, async (id): Promise<StateChange> => {
      const c = await must(id)
      if (c.state === 'bot') return { id, state: c.state, changed: false }
      await setState(id, { state: 'bot', handler: null, bot_paused_until: null })
      return { id, state: 'bot', changed: true }
    }),
  }
}
