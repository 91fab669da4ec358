/**
 * What crosses agent ↔ cloud besides shapes: the outbox change batch of
 * `POST /api/v1/changes`, its per-change results, and the error union.
 */
import { z } from 'zod'
import { AnsweredBy, ConversationKind, ConversationState, Grade, MessageKind, ReplyStatus } from './enums.ts'
import { ReplySource } from './tables.ts'

const uuid = z.uuid()
const ts = z.iso.datetime({ offset: true })

/** A conversation the agent discovered in WeChat. */
export const ConversationInsert = z.strictObject({
  id: uuid,
  agent_id: uuid,
  chat_key: z.string().min(1).max(300),
  kind: z.enum(ConversationKind),
  title: z.string().max(300).nullable(),
  customer_id: uuid.nullable(),
})

export const CustomerInsert = z.strictObject({
  id: uuid,
  agent_id: uuid,
  display_name: z.string().min(1).max(200),
})

/** A captured message (customer's, or ours typed by a person in WeChat). */
export const MessageInsert = z.strictObject({
  id: uuid,
  conversation_id: uuid,
  agent_id: uuid,
  direction: z.enum(['in', 'out']),
  sender: z.string().max(200).nullable(),
  text: z.string().max(20_000),
  kind: z.enum(MessageKind),
  mentioned: z.boolean(),
  captured_at: ts,
  dedup_key: z.string().min(8).max(200),
  origin: z.enum(['agent', 'human']),
  answered_by: z.enum(AnsweredBy).nullable(),
})

/** A reply the agent produced itself (offline answerer) or that a person sent. */
export const ReplyInsert = z.strictObject({
  id: uuid,
  conversation_id: uuid,
  agent_id: uuid,
  message_ids: z.array(uuid).max(100),
  text: z.string().min(1).max(5_000),
  origin: z.enum(['local', 'human']),
  confidence: z.number().min(0).max(1).nullable(),
  sources: z.array(ReplySource).max(20),
  status: z.enum(ReplyStatus),
  sent_at: ts.nullable(),
})

export const ReplyStatusUpdate = z.strictObject({
  status: z.enum(['sending', 'sent', 'failed', 'cancelled']),
  sent_at: ts.nullable().optional(),
  error: z.string().max(1_000).nullable().optional(),
})

export const ConversationUpdate = z.strictObject({
  state: z.enum(ConversationState).optional(),
  handler: z.string().max(200).nullable().optional(),
  bot_paused_until: ts.nullable().optional(),
  title: z.string().max(300).nullable().optional(),
})

export const MessageUpdate = z.strictObject({
  answered_by: z.enum(AnsweredBy),
})

export const CustomerUpdate = z.strictObject({
  remark: z.string().max(500).nullable().optional(),
  grade: z.enum(Grade).optional(),
  tags: z.array(z.string().max(50)).max(100).optional(),
})

const base = { id: uuid }
/** One change in an agent's outbox. `id` is the change's own client id (idempotency key). */
export const Change = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('insert_conversation'), row: ConversationInsert }),
  z.strictObject({ ...base, kind: z.literal('insert_customer'), row: CustomerInsert }),
  z.strictObject({ ...base, kind: z.literal('insert_message'), row: MessageInsert }),
  z.strictObject({ ...base, kind: z.literal('insert_reply'), row: ReplyInsert }),
  z.strictObject({ ...base, kind: z.literal('update_reply'), pk: uuid, set: ReplyStatusUpdate }),
  z.strictObject({
    ...base,
    kind: z.literal('update_conversation'),
    pk: uuid,
    set: ConversationUpdate,
  }),
  z.strictObject({ ...base, kind: z.literal('update_message'), pk: uuid, set: MessageUpdate }),
  z.strictObject({ ...base, kind: z.literal('update_customer'), pk: uuid, set: CustomerUpdate }),
])
export type Change = z.infer<typeof Change>
export type ChangeKind = Change['kind']

export const MAX_BATCH = 500

export const ChangeBatch = z.strictObject({
  changes: z.array(Change).min(1).max(MAX_BATCH),
})
export type ChangeBatch = z.infer<typeof ChangeBatch>

export const ChangeResult = z.object({
  id: uuid,
  status: z.enum(['applied', 'duplicate']),
  /** For a message whose dedup key was already captured: the id the cloud kept. */
  existing_id: uuid.optional(),
})
export type ChangeResult = z.infer<typeof ChangeResult>

export const ChangeBatchResult = z.object({ results: z.array(ChangeResult) })
export type ChangeBatchResult = z.infer<typeof ChangeBatchResult>

/** Errors that cross the wire, one discriminated union. */
export const WireError = z.discriminatedUnion('code', [
  z.object({ code: z.literal('invalid'), message: z.string(), field: z.string().optional() }),
  z.object({ code: z.literal('unauthorized'), message: z.string() }),
  z.object({ code: z.literal('forbidden'), message: z.string() }),
  z.object({ code: z.literal('not_found'), message: z.string() }),
  z.object({ code: z.literal('conflict'), message: z.string() }),
  z.object({ code: z.literal('rate_limited'), message: z.string(), retry_after_s: z.number() }),
  z.object({ code: z.literal('too_large'), message: z.string() }),
  z.object({ code: z.literal('internal'), message: z.string(), request_id: z.string() }),
])
export type WireError = z.infer<typeof WireError>
