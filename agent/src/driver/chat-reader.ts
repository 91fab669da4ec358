/**
 * Turns a grab of the open chat into captured messages: title → chat key, bubbles →
 * signatures → which are new (per-chat memory) → OCR of the new ones only → own echoes
 * dropped → queued for `poll()`.
 *
 * The first time a chat is seen nothing in it is known. Then the unread badge tells how many
 * customer bubbles at the bottom are new; without a badge the chat is only remembered.
 */
import type { Logger } from 'pino'
import { hashRect, type Bitmap } from './bitmap.ts'
import {
  bubbleSignature,
  findBubbles,
  sameBubble,
  type BubbleBox,
  type BubbleSignature,
} from './bubble-detect.ts'
import { createChatMemory, type ChatMemory } from './chat-memory.ts'
import { isMention, type CapturedMessage } from './driver.ts'
import type { OcrEngine } from './ocr.ts'
import type { OwnSends } from './own-sends.ts'
import type { UiParts, WeChatLayout } from './screen-geometry.ts'
import { readBubbleText, readSender, readTitle, type TextCache } from './screen-reader.ts'

/**
 * How many bubbles of a chat seen for the first time are unread: the badge count,
 * `'trailing'` (a badge without a readable number: the customer bubbles after our last one),
 * or null (no badge: nothing is new).
 */
export type UnreadHint = number | 'trailing' | null

/** Options for {@link createChatReader}. */
export interface ChatReaderOptions {
  ocr: OcrEngine
  layout: WeChatLayout
  own: OwnSends
  logger: Logger
  now: () => Date
  selfName: string | null
  titleCache: TextCache
}

/** Reads the open chat and queues what is new. */
export interface ChatReader {
  /** Whether the open chat's title or bubbles differ from the last read. */
  changed(b: Bitmap, p: UiParts): boolean
  /** Reads the open chat; returns its key, or null when no chat is open. */
  read(b: Bitmap, p: UiParts, hint: UnreadHint): Promise<string | null>
  /** Remembers the open chat as it is, reporting nothing. */
  baseline(b: Bitmap, p: UiParts): Promise<void>
  /** Forgets every chat's bubbles (the window was resized, so they re-wrapped). */
  forgetLayout(): void
  /** The queued messages, oldest first; the queue is emptied. */
  drain(): CapturedMessage[]
  /** How many new bubbles of ours were read in `chatKey` (own echoes included). */
  selfCount(chatKey: string): number
}

/** Indices of the bubbles that are unread in a chat seen for the first time. */
export function pickUnread(sides: readonly BubbleBox['side'][], hint: UnreadHint): number[] {
  if (hint === null) return []
  const customers = sides.flatMap((s, i) => (s === 'customer' ? [i] : []))
  if (hint === 'trailing') {
    const lastSelf = sides.lastIndexOf('self')
    return customers.filter((i) => i > lastSelf)
  }
  return customers.slice(-hint)
}

/** Creates a chat reader with empty memories. */
export function createChatReader(opts: ChatReaderOptions): ChatReader {
  const { ocr, layout, own, logger: log } = opts
  const chats = new Map<string, ChatMemory<BubbleSignature>>()
  const senderCache: TextCache = new Map()
  const selfCounts = new Map<string, number>()
  let queue: CapturedMessage[] = []
  let lastTitleHash = ''
  let lastMessagesHash = ''

  async function read(b: Bitmap, p: UiParts, hint: UnreadHint): Promise<string | null> {
    lastTitleHash = hashRect(b, p.titleText)
    lastMessagesHash = hashRect(b, p.messages)
    const title = await readTitle(ocr, b, p.titleText, opts.titleCache)
    if (!title) return null
    const key = title.title
    const boxes = findBubbles(b, p.messages, layout).filter((x) => !x.clipped)
    const prints = boxes.map((x) => bubbleSignature(b, x, p.messages, title.isGroup))
    let memory = chats.get(key)
    const seqs = new Map<number, number>()
    let fresh: number[]
    if (!memory) {
      memory = createChatMemory(sameBubble)
      chats.set(key, memory)
      fresh = pickUnread(
        boxes.map((x) => x.side),
        hint,
      )
      if (typeof hint === 'number' && hint > fresh.length)
        log.warn({ unread: hint, visible: fresh.length }, 'unread bubbles scrolled out of view')
      prints.forEach((sig, i) => seqs.set(i, (memory as ChatMemory<BubbleSignature>).remember(sig)))
    } else {
      const { known } = memory.unseen(prints)
      fresh = boxes.map((_, i) => i).filter((i) => i >= known)
      if (known === 0 && memory.size > 0 && boxes.length > 0)
        log.warn({ bubbles: boxes.length }, 'no overlap with what was read before')
      for (const i of fresh) seqs.set(i, memory.remember(prints[i] as BubbleSignature))
    }
    if (fresh.length === 0) return key

    const seenAt = opts.now()
    const read = await Promise.all(
      fresh.map(async (i) => {
        const box = boxes[i] as BubbleBox
        const [text, sender] = await Promise.all([
          readBubbleText(ocr, b, box, p.messages, layout),
          title.isGroup && box.side === 'customer'
            ? readSender(ocr, b, box, p.messages, senderCache, layout)
            : Promise.resolve(null),
        ])
        return { i, box, text, sender }
      }),
    )
    for (const { i, box, text, sender } of read) {
      if (text === '') {
        log.debug({ seq: seqs.get(i) }, 'bubble without readable text')
        continue
      }
      if (box.side === 'self') selfCounts.set(key, (selfCounts.get(key) ?? 0) + 1)
      if (box.side === 'self' && own.claim(key, text)) continue
      queue.push({
        chatKey: key,
        chatTitle: title.title,
        isGroup: title.isGroup,
        side: box.side,
        sender: box.side === 'customer' ? sender : null,
        text,
        seenAt,
        seq: seqs.get(i) as number,
        mentioned: title.isGroup && box.side === 'customer' && isMention(text, opts.selfName),
      })
    }
    log.debug({ fresh: fresh.length, queued: queue.length }, 'chat read')
    return key
  }

  return {
    changed: (b, p) =>
      hashRect(b, p.titleText) !== lastTitleHash || hashRect(b, p.messages) !== lastMessagesHash,
    read,
    async baseline(b, p) {
      await read(b, p, null)
    },
    forgetLayout() {
      chats.clear()
    },
    selfCount: (chatKey) => selfCounts.get(chatKey) ?? 0,
    drain() {
      const out = queue
      queue = []
      return out
    },
  }
}
