/**
 * Send pacing, so WeChat does not flag the account: a minimum gap between any two sends (with
 * jitter), per-chat and global rate limits over a sliding window, and a typing delay that grows
 * with the length of the text. Pure: the caller passes `now` and sleeps for `waitMs`.
 */
export interface PacingOptions {
  /** Minimum gap between two sends, any chat; default 1200 ms (never below 1000). */
  minGapMs: number
  /** Extra random gap 0..jitterMs; default 800 ms. */
  jitterMs: number
  /** Per chat: at most `perChatMax` sends per `windowMs`. */
  perChatMax: number
  /** All chats: at most `globalMax` sends per `windowMs`. */
  globalMax: number
  windowMs: number
  /** Typing delay: base + per character, capped. */
  typingBaseMs: number
  typingPerCharMs: number
  typingMaxMs: number
}

export const defaultPacing: PacingOptions = {
  minGapMs: 1200,
  jitterMs: 800,
  perChatMax: 6,
  globalMax: 20,
  windowMs: 60_000,
  typingBaseMs: 300,
  typingPerCharMs: 60,
  typingMaxMs: 6000,
}

export interface Pacer {
  /** How long to wait before `chatKey` may send `text` (0 = now), including the typing delay. */
  waitMs(chatKey: string, text: string, now: number): number
  /** Records a send at `now`. */
  record(chatKey: string, now: number): void
}

export function createPacer(opts: Partial<PacingOptions> = {}, random: () => number = Math.random): Pacer {
  const o = { ...defaultPacing, ...opts }
  const minGap = Math.max(1000, o.minGapMs)
  let last = -Infinity
  let nextGap = minGap + random() * o.jitterMs
  const global: number[] = []
  const perChat = new Map<string, number[]>()
  const prune = (xs: number[], now: number) => {
    while (xs.length > 0 && xs[0]! <= now - o.windowMs) xs.shift()
  }
  return {
    waitMs(chatKey, text, now) {
      prune(global, now)
      const chat = perChat.get(chatKey) ?? []
      prune(chat, now)
      let at = Math.max(now, last + nextGap)
      if (global.length >= o.globalMax) at = Math.max(at, global[global.length - o.globalMax]! + o.windowMs)
      if (chat.length >= o.perChatMax) at = Math.max(at, chat[chat.length - o.perChatMax]! + o.windowMs)
      const typing = Math.min(o.typingMaxMs, o.typingBaseMs + [...text].length * o.typingPerCharMs)
      // The typing delay runs from the moment the send is allowed, like a person composing.
      return Math.ceil(at - now + typing)
    },
    record(chatKey, now) {
      last = now
      nextGap = minGap + random() * o.jitterMs
      global.push(now)
      const chat = perChat.get(chatKey) ?? []
      chat.push(now)
      perChat.set(chatKey, chat)
    },
  }
}
