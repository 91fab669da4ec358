/**
 * The reply worker's SQL: claiming a conversation, reading its context, and committing the
 * decision. Exactly-once lives in {@link commitDecision}: with the conversation row locked it
 * re-checks who owns the chat, marks the claimed messages answered only if they are all still
 * unanswered (the UPDATE takes their row locks), and inserts the reply — one transaction, so
 * a reply exists if and only if its messages say `answered_by = 'cloud'`.
 *
 *   claim (short tx)            compose (no tx)            commit (short tx)
 *   lock pending messages ──▶   rules, FAQ, RAG, LLM  ──▶  lock conversation, re-check state,
 *   SKIP LOCKED, take lease                                mark messages, insert reply,
 *                                                          persist state, drop lease
 */
import type { Db, Queryable } from '@kefu/migrations'
import { newId, type ConversationState, type Grade } from '@kefu/schema'
import {
  transition,
  type ConversationConfig,
  type ConversationSnapshot,
  type Effect,
} from './conversation-state.ts'
import type { Turn } from './reply-prompt.ts'
import {
  REPLY_WORKER_ORIGIN,
  type ConversationContext,
  type PendingMessage,
  type ReplyDecision,
} from './reply-types.ts'

/** Outcome of {@link claimConversation}. */
export type ClaimResult =
  | {
      readonly kind: 'claimed'
      readonly messages: readonly PendingMessage[]
      readonly attempts: number
      /** Null when the conversation row is gone. */
      readonly context: ConversationContext | null
    }
  /** Another instance holds a live lease; try again in `retryInMs`. */
  | { readonly kind: 'busy'; readonly retryInMs: number }
  /** Nothing unanswered (or every pending row is being written by someone else right now). */
  | { readonly kind: 'idle' }

const ms = (expr: string) => `(extract(epoch from (${expr})) * 1000)::float8`

// One statement, so one round trip: lock the unanswered messages (skipping rows another
// transaction holds), take or renew the lease, and — only when claimed — read the context.
const CLAIM_SQL = `
WITH pending AS (
  SELECT id, text, kind, mentioned, captured_at, created_at FROM messages
   WHERE conversation_id = $1::uuid AND direction = 'in' AND answered_by IS NULL
     AND origin <> 'cloud'
   ORDER BY captured_at, created_at, id
   LIMIT $2
   FOR UPDATE SKIP LOCKED
), claim AS (
  INSERT INTO reply_claims AS rc (conversation_id, owner, message_ids, lease_until)
  SELECT $1::uuid, $3, array_agg(id ORDER BY captured_at, created_at, id),
         now() + $4::float8 * interval '1 millisecond'
    FROM pending HAVING count(*) > 0
  ON CONFLICT (conversation_id) DO UPDATE
     SET owner = excluded.owner, message_ids = excluded.message_ids,
         lease_until = excluded.lease_until, claimed_at = now(),
         -- renewing one's own live lease (after a stale commit) is the same attempt
         attempts = rc.attempts
           + CASE WHEN rc.owner = excluded.owner AND rc.lease_until > now() THEN 0 ELSE 1 END
   WHERE rc.lease_until <= now() OR rc.owner = excluded.owner
  RETURNING attempts
), tidy AS (
  -- a lease left behind by a failed attempt has nothing left to protect
  DELETE FROM reply_claims
   WHERE conversation_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM pending)
     AND (owner = $3 OR lease_until <= now())
)
SELECT (SELECT attempts FROM claim) AS attempts,
       (SELECT count(*)::int FROM pending) AS pending,
       (SELECT greatest(0, ${ms('lease_until - now()')}) FROM reply_claims
         WHERE conversation_id = $1::uuid) AS lease_ms,
       CASE WHEN EXISTS (SELECT 1 FROM claim) THEN json_build_object(
         'messages', (SELECT json_agg(json_build_object('id', id::text, 'text', text, 'kind', kind,
                        'mentioned', mentioned) ORDER BY captured_at, created_at, id) FROM pending),
         'conversation', (SELECT row_to_json(c) FROM (
            SELECT c.agent_id::text AS agent_id, c.kind, c.state, ${ms('c.bot_paused_until')} AS paused_ms,
                   c.handler, cu.id::text AS customer_id, cu.display_name, cu.grade, cu.tags,
                   cu.spend::text AS spend, cu.message_count, ${ms('cu.first_seen_at')} AS first_ms,
                   ${ms('cu.last_seen_at')} AS last_ms
              FROM conversations c
              LEFT JOIN customers cu ON cu.id = coalesce(c.customer_id,
                (SELECT x.id FROM customers x WHERE c.kind = 'direct' AND x.agent_id = c.agent_id
                    AND x.display_name = c.title))
             WHERE c.id = $1::uuid) c),
         'history', (SELECT coalesce(json_agg(json_build_object('role', role, 'text', text)
                       ORDER BY created_at), '[]'::json) FROM (
            (SELECT CASE WHEN direction = 'in' THEN 'customer' ELSE 'staff' END AS role, text, created_at
               FROM messages
              WHERE conversation_id = $1::uuid AND kind = 'text'
                AND (direction = 'out' OR answered_by IS NOT NULL)
              ORDER BY created_at DESC LIMIT $5)
            UNION ALL
            (SELECT 'bot' AS role, text, created_at FROM replies
              WHERE conversation_id = $1::uuid AND status <> 'cancelled'
              ORDER BY created_at DESC LIMIT $6)) h)
       ) END AS ctx`

interface ClaimRow {
  attempts: number | null
  pending: number
  lease_ms: number | null
  ctx: { messages: PendingMessage[]; conversation: ConversationRow | null; history: Turn[] } | null
}

/**
 * Claims a conversation (see `CLAIM_SQL`): a lease held by another instance and still live
 * makes the claim `busy`; an expired one is taken over (attempts + 1).
 */
export async function claimConversation(
  db: Queryable,
  opts: {
    conversationId: string
    owner: string
    leaseMs: number
    limit: number
    historyTurns: number
  },
): Promise<ClaimResult> {
  const [row] = await db.query<ClaimRow & Record<string, unknown>>(CLAIM_SQL, [
    opts.conversationId,
    opts.limit,
    opts.owner,
    opts.leaseMs,
    opts.historyTurns * 2,
    opts.historyTurns,
  ])
  if (!row || row.pending === 0) return { kind: 'idle' }
  if (row.attempts === null || row.ctx === null)
    return { kind: 'busy', retryInMs: Number(row.lease_ms ?? 0) }
  const { messages, conversation, history } = row.ctx
  return {
    kind: 'claimed',
    messages,
    attempts: Number(row.attempts),
    context: conversation ? contextOf(opts.conversationId, conversation, history) : null,
  }
}

/**
 * Gives a lease up after a failed or abandoned attempt: nobody (this instance included) claims
 * the conversation again for `retryInMs`. `countAttempt: false` (shutdown) takes the attempt back.
 */
export async function releaseClaim(
  db: Queryable,
  opts: { conversationId: string; owner: string; retryInMs: number; countAttempt: boolean },
): Promise<void> {
  await db.query(
    `UPDATE reply_claims SET owner = '', lease_until = now() + $3::float8 * interval '1 millisecond',
            attempts = CASE WHEN $4 THEN attempts ELSE greatest(attempts - 1, 0) END
      WHERE conversation_id = $1::uuid AND owner = $2`,
    [opts.conversationId, opts.owner, opts.retryInMs, opts.countAttempt],
  )
}

/** A conversation with unanswered messages, for the startup scan and the sweep. */
export interface BacklogEntry {
  readonly conversationId: string
  /** Since the newest unanswered message arrived. */
  readonly ageMs: number
  /** Until a live lease on it expires (0 when none). */
  readonly leaseMs: number
}

/** Conversations with unanswered inbound messages. */
export async function findBacklog(db: Queryable, limit: number): Promise<BacklogEntry[]> {
  const rows = await db.query<{ conversation_id: string; age_ms: number; lease_ms: number | null }>(
    `SELECT m.conversation_id::text AS conversation_id, ${ms('now() - max(m.created_at)')} AS age_ms,
            (SELECT greatest(0, ${ms('rc.lease_until - now()')}) FROM reply_claims rc
              WHERE rc.conversation_id = m.conversation_id) AS lease_ms
       FROM messages m
      WHERE m.direction = 'in' AND m.answered_by IS NULL AND m.origin <> 'cloud'
      GROUP BY m.conversation_id
      ORDER BY max(m.created_at)
      LIMIT $1`,
    [limit],
  )
  return rows.map((r) => ({
    conversationId: r.conversation_id,
    ageMs: Math.max(0, Number(r.age_ms)),
    leaseMs: Number(r.lease_ms ?? 0),
  }))
}

interface ConversationRow {
  agent_id: string
  kind: 'direct' | 'group'
  state: ConversationState
  paused_ms: number | null
  handler: string | null
  customer_id: string | null
  display_name: string | null
  grade: Grade | null
  tags: string[] | null
  spend: string | null
  message_count: number | null
  first_ms: number | null
  last_ms: number | null
}

const snapshotOf = (
  r: Pick<ConversationRow, 'state' | 'paused_ms' | 'handler'>,
): ConversationSnapshot => ({
  state: r.state,
  botPausedUntil: r.paused_ms === null ? null : new Date(Number(r.paused_ms)),
  handler: r.handler,
})

/** The conversation, its customer (by `customer_id`, or for a direct chat without one, the
 *  agent's contact of the same name) and its last handled turns. */
function contextOf(id: string, c: ConversationRow, history: readonly Turn[]): ConversationContext {
  return {
    id,
    agentId: c.agent_id,
    kind: c.kind,
    snapshot: snapshotOf(c),
    customer:
      c.customer_id === null
        ? null
        : {
            id: c.customer_id,
            name: c.display_name ?? '',
            storedGrade: c.grade ?? 'C',
            tags: c.tags ?? [],
            spend: c.spend,
            messageCount: Number(c.message_count ?? 0),
            firstSeenMs: Number(c.first_ms ?? 0),
            lastSeenMs: Number(c.last_ms ?? 0),
          },
    history,
  }
}

/** Fault injection for tests: runs inside the commit transaction, after every write. */
export type CommitHook = (
  tx: Queryable,
  info: { conversationId: string; messageIds: readonly string[] },
) => Promise<void>

/** What {@link commitDecision} needs. */
export interface CommitInput {
  readonly conversationId: string
  readonly agentId: string
  readonly messages: readonly PendingMessage[]
  readonly decision: ReplyDecision
  readonly owner: string
  readonly now: Date
  readonly conversation: ConversationConfig
  /** The conversation as the claim read it: enables the one-statement optimistic commit. */
  readonly expected?: ConversationSnapshot
  /** Test seam: forces the transactional commit and runs inside it. */
  readonly inCommit?: CommitHook
}

/** Outcome of {@link commitDecision}. */
export type CommitResult =
  | {
      readonly kind: 'committed'
      /** What was written: may differ from the decision when a person took the chat meanwhile. */
      readonly applied: ReplyDecision
      readonly replyId: string | null
      readonly from: ConversationState
      readonly to: ConversationState
      readonly effects: readonly Effect[]
    }
  /** Some claimed message was answered meanwhile (locally, by a person, by another instance). */
  | { readonly kind: 'stale' }
  | { readonly kind: 'gone' }

class StaleClaim extends Error {
  constructor() {
    super('claimed messages were answered meanwhile')
    this.name = 'StaleClaim'
  }
}

const BOT_SILENT: ReplyDecision = { kind: 'skip', why: 'bot_silent' }

// The writes of a commit, as CTEs of one statement: mark the messages answered, and only if
// every one was still unanswered (`ok`), insert the reply, persist the state, cancel queued bot
// replies and drop the lease. `$4` is the batch size; `ok` is defined by the caller.
const WRITES = `
  reply AS (
    INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin, confidence, sources)
    SELECT $5::uuid, $1::uuid, $6::uuid, $2::uuid[], $7, $8, $9::real, $10::text::jsonb
     WHERE $5::uuid IS NOT NULL AND (SELECT ok FROM ok)
    RETURNING id
  ), conv AS (
    UPDATE conversations SET state = $11, bot_paused_until = $12::timestamptz, handler = $13,
           updated_at = now()
     WHERE id = $1::uuid AND $14::boolean AND (SELECT ok FROM ok)
    RETURNING id
  ), cancel AS (
    UPDATE replies SET status = 'cancelled', updated_at = now()
     WHERE conversation_id = $1::uuid AND $15::boolean AND (SELECT ok FROM ok)
       AND status = 'queued' AND origin IN ('cloud_ai', 'faq', 'rule')
    RETURNING id
  ), unclaim AS (
    DELETE FROM reply_claims WHERE conversation_id = $1::uuid AND owner = $16
       AND (SELECT ok FROM ok)
    RETURNING 1
  )`

// Under the lock taken by the transaction's first statement: mark what is still unanswered;
// a short count rolls the transaction back.
const LOCKED_COMMIT_SQL = `
WITH marked AS (
  UPDATE messages SET answered_by = $3
   WHERE id = ANY($2::uuid[]) AND answered_by IS NULL RETURNING id
), ok AS (SELECT count(*) = $4::int AS ok FROM marked),
${WRITES}
SELECT (SELECT ok FROM ok) AS ok`

// The optimistic commit: one statement, one round trip, its own transaction. It locks the
// conversation only if it is still as the claim read it ($17–$19; then the decision composed on
// that reading stands), then the unanswered messages (FOR UPDATE re-reads rows changed since the
// statement began), and writes only if it holds all of them — nothing otherwise.
const OPTIMISTIC_COMMIT_SQL = `
WITH guard AS (
  SELECT set_config('kefu.origin', $20, true) AS origin FROM conversations
   WHERE id = $1::uuid AND state = $17 AND handler IS NOT DISTINCT FROM $18
     AND floor(extract(epoch from bot_paused_until) * 1000)::float8 IS NOT DISTINCT FROM $19::float8
   FOR NO KEY UPDATE
), pending AS (
  SELECT id FROM messages
   WHERE id = ANY($2::uuid[]) AND answered_by IS NULL AND EXISTS (SELECT 1 FROM guard)
   FOR UPDATE
), ok AS (SELECT count(*) = $4::int AS ok FROM pending
), marked AS (
  UPDATE messages SET answered_by = $3
   WHERE id = ANY($2::uuid[]) AND answered_by IS NULL AND (SELECT ok FROM ok) RETURNING id
),
${WRITES}
SELECT EXISTS (SELECT 1 FROM guard) AS same, (SELECT ok FROM ok) AS ok`

/** The parameters $1–$16 shared by both commit statements. */
function writeParams(
  input: CommitInput,
  before: ConversationSnapshot,
  d: { decision: ReplyDecision; state: ConversationSnapshot; effects: Effect[] },
  replyId: string | null,
): unknown[] {
  const reply = d.decision.kind === 'reply' ? d.decision : null
  const ids = input.messages.map((m) => m.id)
  return [
    input.conversationId,
    ids,
    reply ? 'cloud' : 'none',
    ids.length,
    replyId,
    input.agentId,
    reply?.text ?? null,
    reply?.origin ?? null,
    reply?.confidence ?? null,
    JSON.stringify(reply?.sources ?? []),
    d.state.state,
    d.state.botPausedUntil?.toISOString() ?? null,
    d.state.handler,
    !sameSnapshot(d.state, before),
    d.effects.some((e) => e.type === 'cancel_bot_replies'),
    input.owner,
  ]
}

/**
 * Commits a decision (see the module comment). The state machine runs on the conversation as
 * it is at commit: a hand-off or takeover committed while the answer was being composed wins,
 * and the reply is not inserted.
 *
 * Given `expected` (the conversation as the claim read it), the commit is first tried as one
 * statement that applies only if the conversation is unchanged; otherwise, or when it changed,
 * it runs as a transaction that locks the conversation, reads it and decides on what it read.
 */
export async function commitDecision(db: Db, input: CommitInput): Promise<CommitResult> {
  if (input.expected && !input.inCommit) {
    const before = input.expected
    const d = decide(before, input)
    const replyId = d.decision.kind === 'reply' ? newId() : null
    const [row] = await db.query<{ same: boolean; ok: boolean }>(OPTIMISTIC_COMMIT_SQL, [
      ...writeParams(input, before, d, replyId),
      before.state,
      before.handler,
      before.botPausedUntil?.getTime() ?? null,
      REPLY_WORKER_ORIGIN,
    ])
    if (row?.same) {
      if (!row.ok) return { kind: 'stale' }
      return { kind: 'committed', applied: d.decision, replyId, from: before.state, to: d.state.state, effects: d.effects }
    }
  }
  try {
    return await db.transaction(async (tx): Promise<CommitResult> => {
      // NO KEY UPDATE: blocks other state writers, not agents inserting messages (FK KEY SHARE).
      const [row] = await tx.query<Pick<ConversationRow, 'state' | 'paused_ms' | 'handler'>>(
        `SELECT set_config('kefu.origin', $2, true) AS origin, state,
                ${ms('bot_paused_until')} AS paused_ms, handler
           FROM conversations WHERE id = $1::uuid FOR NO KEY UPDATE`,
        [input.conversationId, REPLY_WORKER_ORIGIN],
      )
      if (!row) return { kind: 'gone' }
      const before = snapshotOf(row)
      const d = decide(before, input)
      const replyId = d.decision.kind === 'reply' ? newId() : null
      const [done] = await tx.query<{ ok: boolean }>(
        LOCKED_COMMIT_SQL,
        writeParams(input, before, d, replyId),
      )
      if (!done?.ok) throw new StaleClaim()
      await input.inCommit?.(tx, {
        conversationId: input.conversationId,
        messageIds: input.messages.map((m) => m.id),
      })
      return {
        kind: 'committed',
        applied: d.decision,
        replyId,
        from: before.state,
        to: d.state.state,
        effects: d.effects,
      }
    })
  } catch (err) {
    if (err instanceof StaleClaim) return { kind: 'stale' }
    throw err
  }
}

const sameSnapshot = (a: ConversationSnapshot, b: ConversationSnapshot) =>
  a.state === b.state &&
  a.handler === b.handler &&
  (a.botPausedUntil?.getTime() ?? null) === (b.botPausedUntil?.getTime() ?? null)

/**
 * The state machine on the conversation as locked now: the customer's message arrives, then
 * the bot replies or hands off. A person holding the chat turns any reply or hand-off into
 * silence (`bot_silent`).
 */
function decide(
  before: ConversationSnapshot,
  input: Pick<CommitInput, 'decision' | 'now' | 'conversation'>,
): { decision: ReplyDecision; state: ConversationSnapshot; effects: Effect[] } {
  const { now, conversation: cfg } = input
  let decision = input.decision
  let state = before
  const effects: Effect[] = []
  // Messages not addressed to us (group chatter) leave the state alone.
  if (!(decision.kind === 'skip' && decision.why === 'not_addressed')) {
    const arrived = transition(before, { type: 'customer_message' }, now, cfg)
    if (arrived.ok) {
      state = arrived.state
      if (!arrived.effects.some((e) => e.type === 'answer') && decision.kind !== 'skip')
        decision = BOT_SILENT // a person holds the chat now: whatever was composed stays unsent
    }
  }
  if (decision.kind === 'reply') {
    const r = transition(state, { type: 'bot_replied' }, now, cfg)
    if (r.ok) state = r.state
  } else if (decision.kind === 'handoff') {
    const r = transition(state, { type: 'handoff_requested', reason: decision.reason }, now, cfg)
    if (r.ok) {
      state = r.state
      effects.push(...r.effects)
    }
  }
  return { decision, state, effects }
}
