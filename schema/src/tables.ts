/**
 * Row validators for the core tables, shared by the cloud (to validate agent writes) and the
 * agent (to validate what it writes locally). Timestamps travel as ISO strings.
 */
import { z } from 'zod'
import {
  AnsweredBy,
  ConversationKind,
  ConversationState,
  Direction,
  Grade,
  MessageKind,
  MessageOrigin,
  ReplyOrigin,
  ReplyStatus,
  RuleStatus,
} from './enums.ts'

const uuid = z.uuid()
const ts = z.iso.datetime({ offset: true })
const text = (max: number) => z.string().max(max)

export const AgentRow = z.object({
  id: uuid,
  name: text(200).min(1),
  wechat_account: text(200).nullable(),
  disabled: z.boolean(),
  last_seen_at: ts.nullable(),
  created_at: ts,
})
export type AgentRow = z.infer<typeof AgentRow>

export const CustomerRow = z.object({
  id: uuid,
  agent_id: uuid,
  display_name: text(200).min(1),
  remark: text(500).nullable(),
  grade: z.enum(Grade),
  tags: z.array(text(50)).max(100),
  erp_id: text(100).nullable(),
  spend: z.string().regex(/^-?\d+(\.\d+)?$/),
  message_count: z.number().int().nonnegative(),
  first_seen_at: ts,
  last_seen_at: ts,
})
export type CustomerRow = z.infer<typeof CustomerRow>

export const ConversationRow = z.object({
  id: uuid,
  agent_id: uuid,
  chat_key: text(300).min(1),
  kind: z.enum(ConversationKind),
  title: text(300).nullable(),
  customer_id: uuid.nullable(),
  state: z.enum(ConversationState),
  bot_paused_until: ts.nullable(),
  handler: text(200).nullable(),
  created_at: ts,
  updated_at: ts,
})
export type ConversationRow = z.infer<typeof ConversationRow>

export const MessageRow = z.object({
  id: uuid,
  conversation_id: uuid,
  agent_id: uuid,
  direction: z.enum(Direction),
  sender: text(200).nullable(),
  text: text(20_000),
  kind: z.enum(MessageKind),
  mentioned: z.boolean(),
  captured_at: ts,
  dedup_key: text(200).min(8),
  origin: z.enum(MessageOrigin),
  answered_by: z.enum(AnsweredBy).nullable(),
  created_at: ts,
})
export type MessageRow = z.infer<typeof MessageRow>

export const ReplySource = z.object({
  kind: z.enum(['faq', 'kb', 'rule']),
  id: z.string().max(100),
  score: z.number().optional(),
})
export type ReplySource = z.infer<typeof ReplySource>

export const ReplyRow = z.object({
  id: uuid,
  conversation_id: uuid,
  agent_id: uuid,
  message_ids: z.array(uuid).max(100),
  text: text(5_000).min(1),
  origin: z.enum(ReplyOrigin),
  confidence: z.number().min(0).max(1).nullable(),
  sources: z.array(ReplySource).max(20),
  status: z.enum(ReplyStatus),
  error: text(1_000).nullable(),
  created_at: ts,
  updated_at: ts,
  sent_at: ts.nullable(),
})
export type ReplyRow = z.infer<typeof ReplyRow>

export const FaqRow = z.object({
  id: uuid,
  question: text(1_000).min(1),
  answer: text(5_000).min(1),
  variants: z.array(text(1_000)).max(50),
  tags: z.array(text(50)).max(50),
  published: z.boolean(),
  updated_at: ts,
})
export type FaqRow = z.infer<typeof FaqRow>

export const RuleSetRow = z.object({
  id: uuid,
  version: z.number().int().positive(),
  status: z.enum(RuleStatus),
  body: z.record(z.string(), z.unknown()),
  created_by: z.string().nullable(),
  created_at: ts,
  published_at: ts.nullable(),
})
export type RuleSetRow = z.infer<typeof RuleSetRow>

/** The tables that replicate through shapes. */
export const SYNCED_TABLES = [
  'customers',
  'conversations',
  'messages',
  'replies',
  'faq',
  'rules',
] as const
export type SyncedTable = (typeof SYNCED_TABLES)[number]

export function isSyncedTable(v: unknown): v is SyncedTable {
  return typeof v === 'string' && (SYNCED_TABLES as readonly string[]).includes(v)
}
