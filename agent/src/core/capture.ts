/**
 * Turning bubbles read from WeChat into rows: the conversation and customer of a chat (stable
 * ids, created on first sight), the message with its deterministic dedup key, and — for a
 * bubble of ours that the driver did not send — the human takeover of that chat.
 */
import { messageDedupKey, newId, stableId, type Change } from '@kefu/schema'
import type { Queryable } from '@kefu/migrations'
import type { CapturedMessage } from '../driver/driver.ts'
import type { AnswerRequest, EarlierMessage, LocalAnswer } from './answerer.ts'
import { align, emptyCheckpoint, fingerprint, recordBubble, type ChatCheckpoint } from './chat-checkpoint.ts'

export interface CaptureContext {
  agentId: string
  db: Queryable
  checkpoint(chatKey: string): ChatCheckpoint
  /** Chats already aligned since this process started (the driver's memory is as fresh). */
  aligned: Set<string>
  now: () => Date
  humanTtlMs: number
  /** Decides, per inbound message, whether the agent answers it itself (offline). */
  localAnswer?: (m: AnswerRequest & { chatKey: string; earlier: readonly EarlierMessage[] }) => Promise<LocalAnswer | null>
}

export interface CaptureResult {
  changes: Change[]
  checkpoints: [string, ChatCheckpoint][]
  /** Messages created, for the caller's counters. */
  messages: number
}

export const conversationIdOf = (agentId: string, chatKey: string) => stableId('conversation', agentId, chatKey)
export const customerIdOf = (agentId: string, name: string) => stableId('customer', agentId, name)

/** The changes that record `batch` (bubbles of possibly several chats, oldest first). */
export async function captureBatch(ctx: CaptureContext, batch: readonly CapturedMessage[]): Promise<CaptureResult> {
  const changes: Change[] = []
  const checkpoints: [string, ChatCheckpoint][] = []
  let messages = 0
  const byChat = new Map<string, CapturedMessage[]>()
  for (const b of batch) byChat.set(b.chatKey, [...(byChat.get(b.chatKey) ?? []), b])
  for (const [chatKey, bubbles] of byChat) {
    const cp = structuredClone(ctx.checkpoint(chatKey) ?? emptyCheckpoint())
    let fresh = bubbles
    if (!ctx.aligned.has(chatKey)) {
      fresh = bubbles.slice(align(cp.tail, bubbles.map(fingerprint)))
      ctx.aligned.add(chatKey)
    }
    if (fresh.length === 0) continue
    const first = fresh[0]!
    const conversationId = conversationIdOf(ctx.agentId, chatKey)
    const known = await ctx.db.query<{ id: string }>(`SELECT id FROM conversations_all WHERE id = $1::uuid`, [conversationId])
    if (known.length === 0) {
      let customerId: string | null = null
      if (!first.isGroup) {
        customerId = customerIdOf(ctx.agentId, first.chatTitle)
        changes.push({ id: newId(), kind: 'insert_customer', row: { id: customerId, agent_id: ctx.agentId, display_name: first.chatTitle.slice(0, 200) } })
      }
      changes.push({
        id: newId(),
        kind: 'insert_conversation',
        row: { id: conversationId, agent_id: ctx.agentId, chat_key: chatKey, kind: first.isGroup ? 'group' : 'direct', title: first.chatTitle.slice(0, 300), customer_id: customerId },
      })
    }
    // A takeover read in this batch is not in the replica yet: the answerer cannot see it.
    let takenOver = false
    // Customer messages of this chat read in this batch: the answerer's replica lacks them yet.
    const earlier: EarlierMessage[] = []
    for (const b of fresh) {
      const fp = fingerprint(b)
      const occurrence = recordBubble(cp, fp)
      const direction = b.side === 'customer' ? 'in' : 'out'
      const human = b.side === 'self'
      if (human) takenOver = true
      const answer = !takenOver && ctx.localAnswer
        ? await ctx.localAnswer({ conversationId, chatKey, isGroup: b.isGroup, mentioned: b.mentioned, text: b.text, earlier: [...earlier] })
        : null
      if (direction === 'in') earlier.push({ text: b.text, mentioned: b.mentioned, answered: answer !== null })
      const messageId = newId()
      changes.push({
        id: newId(),
        kind: 'insert_message',
        row: {
          id: messageId,
          conversation_id: conversationId,
          agent_id: ctx.agentId,
          direction,
          sender: b.sender,
          text: b.text,
          kind: 'text',
          mentioned: b.mentioned,
          captured_at: b.seenAt.toISOString(),
          dedup_key: messageDedupKey({ agentId: ctx.agentId, chatKey, sender: b.sender, direction, text: b.text, occurrence }),
          origin: human ? 'human' : 'agent',
          // A person typed it, or the agent answers it itself: either way the cloud must not.
          answered_by: human ? 'human' : answer ? 'local' : null,
        },
      })
      messages++
      if (answer)
        changes.push({
          id: newId(),
          kind: 'insert_reply',
          row: {
            id: newId(),
            conversation_id: conversationId,
            agent_id: ctx.agentId,
            message_ids: [messageId],
            text: answer.text,
            origin: 'local',
            confidence: answer.confidence,
            sources: answer.sources,
            status: 'queued',
            sent_at: null,
          },
        })
      if (human) {
        // A person answered in WeChat: the chat is theirs until released or the TTL passes.
        changes.push({
          id: newId(),
          kind: 'update_conversation',
          pk: conversationId,
          set: { state: 'human', handler: 'wechat', bot_paused_until: new Date(ctx.now().getTime() + ctx.humanTtlMs).toISOString() },
        })
      }
    }
    checkpoints.push([chatKey, cp])
  }
  return { changes, checkpoints, messages }
}
