/**
 * What flows through the reply pipeline: the claimed messages, the conversation they belong
 * to, and the decision taken for them.
 */
import type { Grade, MessageKind, ReplySource } from '@kefu/schema'
import type { ConversationSnapshot, HandoffReason } from './conversation-state.ts'
import type { CustomerRowForGrade } from './customer-grader.ts'
import type { Turn } from './reply-prompt.ts'

/** Tags every write of the worker, so it never reacts to its own rows. */
export const REPLY_WORKER_ORIGIN = 'cloud:reply-worker'

/** An inbound message waiting for an answer. */
export interface PendingMessage {
  readonly id: string
  readonly text: string
  readonly kind: MessageKind
  readonly mentioned: boolean
}

/** The customer behind a direct conversation. */
export interface CustomerContext extends CustomerRowForGrade {
  readonly id: string
  readonly name: string
  /** As stored (the pipeline recomputes it). */
  readonly storedGrade: Grade
}

/** Everything the decision needs about a conversation. */
export interface ConversationContext {
  readonly id: string
  readonly agentId: string
  readonly kind: 'direct' | 'group'
  readonly snapshot: ConversationSnapshot
  readonly customer: CustomerContext | null
  /** Earlier, already handled turns, oldest first. */
  readonly history: readonly Turn[]
}

/** How a reply was arrived at (logs and tests; not stored). */
export type ReplyVia =
  'keyword' | 'small_talk' | 'after_hours' | 'faq_fast_path' | 'llm' | 'extractive'

/** Why messages were left without a reply and without a hand-off. */
export type SkipReason =
  'not_addressed' | 'bot_silent' | 'acknowledgement' | 'not_text' | 'notice_sent'

/** The outcome for a batch of fragments: an expected result, never thrown. */
export type ReplyDecision =
  | {
      readonly kind: 'reply'
      readonly text: string
      readonly origin: 'faq' | 'rule' | 'cloud_ai'
      readonly confidence: number
      readonly sources: readonly ReplySource[]
      readonly via: ReplyVia
    }
  | { readonly kind: 'handoff'; readonly reason: HandoffReason; readonly detail: string }
  | { readonly kind: 'skip'; readonly why: SkipReason }
