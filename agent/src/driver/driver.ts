/**
 * The agent's edge to WeChat. Two implementations: the `screen` driver (pixels, OCR,
 * clipboard and keys against the real PC client) and the `sim` driver (in-process, for fast
 * tests and the demo). Both keep the same promises:
 *
 * - `poll()` returns every bubble it has not returned before, oldest first, once.
 * - Bubbles of ours that the driver did not send (a person typed in WeChat) come back with
 *   `side: 'self'`; the agent treats them as a human takeover of that chat.
 * - Texts the driver sent itself never come back from `poll()`.
 */

/** Which side of the chat a bubble sits on: the customer's (left) or ours (right). */
export const Side = { customer: 'customer', self: 'self' } as const
/** Which side of the chat a bubble sits on. */
export type Side = (typeof Side)[keyof typeof Side]

/** One bubble read from a chat. */
export interface CapturedMessage {
  /** Stable id of the chat: its normalised title (group member counts removed). */
  chatKey: string
  /** The chat's title as shown. */
  chatTitle: string
  isGroup: boolean
  side: Side
  /** The sender's name in a group chat; null in one-to-one chats and for our side. */
  sender: string | null
  text: string
  seenAt: Date
  /** Position of this bubble in the chat as read by this driver (per chat, increasing). */
  seq: number
  /** A group message that @-mentions us (or @所有人). */
  mentioned: boolean
}

/** The outcome of {@link WeChatDriver.send}: verified on screen, or why not. */
export type SendResult = { ok: true; verifiedAt: Date } | { ok: false; reason: string }

/** What the agent sees of the driver's health. */
export interface DriverStatus {
  windowFound: boolean
  lastCaptureAt: Date | null
}

/** A WeChat client the agent can read from and send through. */
export interface WeChatDriver {
  start(): Promise<void>
  /** New bubbles since the last call (see the module comment for the promises). */
  poll(): Promise<CapturedMessage[]>
  /** Sends `text` to the chat with `chatKey` and checks that our bubble appeared. */
  send(chatKey: string, text: string): Promise<SendResult>
  status(): DriverStatus
  stop(): Promise<void>
  /**
   * Whether `text` shows as one of our recent bubbles in the chat: after a crash mid-send, the
   * agent looks before sending again. Throws when it cannot look (never a guessed `false`).
   */
  hasSent?(chatKey: string, text: string): Promise<boolean>
}

/** A driver failure that the caller can act on (window gone, OCR data missing). */
export class DriverError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DriverError'
    this.code = code
  }
}

/** Whether a group message mentions `selfName` (or everyone). */
export function isMention(text: string, selfName: string | null): boolean {
  // OCR may put spaces around the @; names never contain whitespace in the comparison.
  const flat = text.replace(/\s+/g, '')
  if (flat.includes('@所有人')) return true
  if (selfName === null) return false
  const name = selfName.replace(/\s+/g, '')
  return name !== '' && flat.includes(`@${name}`)
}
