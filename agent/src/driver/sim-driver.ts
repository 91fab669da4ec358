/**
 * An in-process WeChat stand-in with the screen driver's semantics, for fast tests and the
 * demo. Tests play the customer (`pushCustomerMessage`) and the person at the PC
 * (`typeAsHuman`); whatever the agent sends is kept in `sent()` and never polled back.
 */
import {
  isMention,
  type CapturedMessage,
  type DriverStatus,
  type SendResult,
  type WeChatDriver,
} from './driver.ts'

/** Options for {@link createSimDriver}. */
export interface SimDriverOptions {
  /** Our display name in group chats; `@name` in a group message is a mention. */
  selfName?: string
  now?: () => Date
}

/** How a customer message arrives in the simulation. */
export interface SimPushOptions {
  /** Shown title; defaults to the chat key. */
  title?: string
  group?: boolean
  /** Sender name in a group chat. */
  sender?: string
}

/** A message the agent sent through the simulated client. */
export interface SimSent {
  chatKey: string
  text: string
  at: Date
}

/** The simulated client plus the hooks tests drive it with. */
export interface SimDriver extends WeChatDriver {
  hasSent(chatKey: string, text: string): Promise<boolean>
  pushCustomerMessage(chat: string, text: string, opts?: SimPushOptions): void
  /** A person at the PC types `text` into `chat` (a takeover). */
  typeAsHuman(chat: string, text: string): void
  /** Everything the agent sent, oldest first. */
  sent(): SimSent[]
  /** Makes the next `send` fail with `reason` (e.g. to test the agent's retry path). */
  failNextSend(reason: string): void
}

interface SimChat {
  title: string
  isGroup: boolean
  nextSeq: number
}

/** Creates a simulated WeChat driver. */
export function createSimDriver(opts: SimDriverOptions = {}): SimDriver {
  const now = opts.now ?? (() => new Date())
  const selfName = opts.selfName ?? null
  const chats = new Map<string, SimChat>()
  const queue: CapturedMessage[] = []
  const sentLog: SimSent[] = []
  let running = false
  let lastCaptureAt: Date | null = null
  let failReason: string | null = null

  const chatFor = (key: string, push: SimPushOptions = {}): SimChat => {
    let chat = chats.get(key)
    if (!chat) {
      chat = { title: push.title ?? key, isGroup: push.group ?? false, nextSeq: 0 }
      chats.set(key, chat)
    }
    return chat
  }

  const capture = (
    key: string,
    chat: SimChat,
    m: Pick<CapturedMessage, 'side' | 'sender' | 'text'>,
  ) => {
    queue.push({
      chatKey: key,
      chatTitle: chat.title,
      isGroup: chat.isGroup,
      side: m.side,
      sender: m.sender,
      text: m.text,
      seenAt: now(),
      seq: chat.nextSeq++,
      mentioned: chat.isGroup && m.side === 'customer' && isMention(m.text, selfName),
    })
  }

  return {
    async start() {
      running = true
    },
    async stop() {
      running = false
    },
    status(): DriverStatus {
      return { windowFound: running, lastCaptureAt }
    },
    async poll() {
      if (!running) return []
      lastCaptureAt = now()
      return queue.splice(0, queue.length)
    },
    async send(chatKey, text): Promise<SendResult> {
      if (!running) return { ok: false, reason: 'driver not started' }
      const chat = chats.get(chatKey)
      if (!chat) return { ok: false, reason: 'chat not found' }
      if (failReason !== null) {
        const reason = failReason
        failReason = null
        return { ok: false, reason }
      }
      const at = now()
      // Our own bubble takes a position in the chat but is never captured.
      chat.nextSeq++
      sentLog.push({ chatKey, text, at })
      return { ok: true, verifiedAt: at }
    },
    pushCustomerMessage(chat, text, push = {}) {
      const c = chatFor(chat, push)
      const sender = c.isGroup ? (push.sender ?? null) : null
      capture(chat, c, { side: 'customer', sender, text })
    },
    typeAsHuman(chat, text) {
      capture(chat, chatFor(chat), { side: 'self', sender: null, text })
    },
    async hasSent(chatKey, text) {
      return sentLog.some((s) => s.chatKey === chatKey && s.text === text)
    },
    sent: () => [...sentLog],
    failNextSend(reason) {
      failReason = reason
    },
  }
}
