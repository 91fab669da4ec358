/**
 * The contract between the main process, the preload bridge and the renderer: IPC channel
 * names, the JSON shapes that cross them, and the `window.kefu` API the renderer sees.
 *
 *   renderer ──window.kefu.x()──► preload ──invoke(channel, arg)──► main: router ─► ipc/<domain>
 *            ◄──── value / throws KefuApiError ◄──── IpcResult ◄────────────┘
 *   main: status feed ──send(EventChannel.status, status)──► preload ──► onStatus callbacks
 *
 * Everything here is plain data (timestamps as ISO strings), so it survives structured clone
 * and JSON alike. This module has no runtime imports: the preload and renderer bundles use it.
 */
import type { AgentStatus } from '@kefu/agent'
import type { ConversationState, ReplyStatus } from '@kefu/schema'

/** Invoke channels (renderer → main), one per API call. */
export const Channel = {
  status: 'kefu:status',
  conversations: 'kefu:conversations',
  messages: 'kefu:messages',
  takeOver: 'kefu:take-over',
  release: 'kefu:release',
} as const
export type Channel = (typeof Channel)[keyof typeof Channel]

/** Event channels (main → renderer). */
export const EventChannel = {
  status: 'kefu:status-changed',
} as const

/** The agent's health as the window shows it. */
export type StatusView = AgentStatus

/** One row of the conversation list. */
export interface ConversationSummary {
  id: string
  chatKey: string
  title: string
  kind: 'direct' | 'group'
  state: ConversationState
  handler: string | null
  botPausedUntil: string | null
  /** When the last message was captured (or the conversation changed, without messages). */
  lastAt: string
  /** The last message, shortened for the list. */
  preview: string | null
  /** Customer messages nobody has answered yet. */
  unanswered: number
}

/** A message captured from WeChat. */
export interface MessageItem {
  type: 'message'
  id: string
  direction: 'in' | 'out'
  sender: string | null
  text: string
  at: string
  /** `agent`: read from the customer; `human`: typed by a person in WeChat. */
  origin: string
  answeredBy: string | null
}

/** A reply the agent sends (from the cloud, a rule, the offline answerer or a person). */
export interface ReplyItem {
  type: 'reply'
  id: string
  text: string
  origin: string
  status: ReplyStatus
  error: string | null
  at: string
  sentAt: string | null
}

export type TimelineItem = MessageItem | ReplyItem

/** A conversation with its messages and replies, oldest first. */
export interface ConversationDetail {
  conversation: ConversationSummary
  items: TimelineItem[]
}

/** The conversation's state after a take-over or release. */
export interface StateChange {
  id: string
  state: ConversationState
  /** False when the conversation was already in that state (nothing written). */
  changed: boolean
}

export const ErrorCode = {
  invalid: 'invalid',
  notFound: 'not_found',
  forbidden: 'forbidden',
  internal: 'internal',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** What every invoke channel answers: expected failures travel as values, not exceptions. */
export type IpcResult<T> =
  { ok: true; value: T } | { ok: false; error: { code: ErrorCode; message: string } }

/** The error the bridge throws in the renderer for an `ok: false` answer. */
export class KefuApiError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = 'KefuApiError'
    this.code = code
  }
}

/** `window.kefu`: what the preload exposes to the agent window. */
export interface KefuApi {
  status(): Promise<StatusView>
  /** Conversations, most recent activity first. */
  conversations(): Promise<ConversationSummary[]>
  messages(conversationId: string): Promise<ConversationDetail>
  /** A person takes the chat over: the bot stops answering it until released. */
  takeOver(conversationId: string): Promise<StateChange>
  /** Hands the chat back to the bot. */
  release(conversationId: string): Promise<StateChange>
  /** Calls `cb` with every status the main process publishes; returns an unsubscribe. */
  onStatus(cb: (status: StatusView) => void): () => void
}
