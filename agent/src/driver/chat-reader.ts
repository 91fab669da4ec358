/**
 * Turns a grab of the open chat into captured messages: title → chat key, bubbles →
 * signatures → which are new (per-chat memory) → OCR of the new ones only → own echoes
 * dropped → queued for `poll()`.
 *
 * The first time a chat is seen nothing in it is known. Then the unread badge tells how many
 * customer bubbles at the bottom are new; without a badge the chat is only remembered.
 * When the screen does not reach back far enough — to the last bubble the memory holds, or to
 * as many customer bubbles as the badge counts — the message area is scrolled back page by
 * page (scroll-back.ts) and the pages joined by where their bubbles line up.
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
import { createScrollBack, type HistoryOutcome, type ScrollBackOptions } from './scroll-back.ts'

/**
 * How many bubbles of a chat seen for the first time are unread: the badge count,
 * `'trailing'` (a badge without a readable number: the customer bubbles after our last one),
 * or null (no badge: nothing is new).
 */
export type UnreadHint = number | 'trailing' | null

/** Scrolls the open chat's message area (see screen-actions.ts `scroll`). */
export interface Pager {
  scroll(p: UiParts, before: Bitmap, notches: number): Promise<Bitmap | null>
}

/** Options for {@link createChatReader}. */
export interface ChatReaderOptions {
  ocr: OcrEngine
  layout: WeChatLayout
  own: OwnSends
  logger: Logger
  now: () => Date
  selfName: string | null
  titleCache: TextCache
  pager: Pager
  scrollBack?: Partial<ScrollBackOptions>
}

/** A bubble fully visible on one screen, with that screen (its text is read from it). */
interface Shown {
  top: number
  height: number
  box: BubbleBox
  sig: BubbleSignature
  screen: Bitmap
}

/** Known bubbles that must line up before a memory's end counts as found on the screen. */
const CONFIRM_RUN = 3

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

/**
 * Whether what has been read of a chat (oldest first) reaches back far enough: to a run of
 * the memory's last bubbles, or — in a chat seen for the first time — to as many customer
 * bubbles as the badge counts (to our last bubble when it shows no number).
 */
export function reachesBack<T extends { side: BubbleBox['side'] }>(
  memory: ChatMemory<T> | undefined,
  hint: UnreadHint,
): (items: readonly T[]) => boolean {
  if (memory)
    return (items) => {
      if (items.length === 0 || memory.size === 0) return true
      const at = memory.unseen(items)
      // A single matching bubble at the top may be a repeat ("好的") of the last known one.
      return at.fresh === 0 || at.matched >= Math.min(memory.size, CONFIRM_RUN)
    }
  if (hint === null) return () => true
  if (hint === 'trailing') return (items) => items.some((x) => x.side === 'self')
  return (items) => items.filter((x) => x.side === 'customer').length >= hint
}

/** Creates a chat reader with empty memories. */
export function createChatReader(opts: ChatReaderOptions): ChatReader {
  const { ocr, layout, own, logger: log } = opts
  const chats = new Map<string, ChatMemory<BubbleSignature>>()
  const senderCache: TextCache = new Map()
  const selfCounts = new Map<string, number>()
  const scrollBack = createScrollBack(opts.scrollBack)
  let queue: CapturedMessage[] = []
  let lastTitleHash = ''
  let lastMessagesHash = ''

  /** Bubbles fully visible on `screen`, in a group with their sender line. */
  function shownOn(screen: Bitmap, p: UiParts, group: boolean): Shown[] {
    return findBubbles(screen, p.messages, layout).flatMap((box) => {
      const withSender = group && box.side === 'customer'
      const top = withSender ? box.rect.y - layout.senderHeight : box.rect.y
      // A sender line cut off at the top would give the bubble a different signature.
      if (box.clipped || top < p.messages.y) return []
      const sig = bubbleSignature(screen, box, p.messages, group)
      return [{ top, height: box.rect.y + box.rect.height - top, box, sig, screen }]
    })
  }

  function report(outcome: HistoryOutcome, read: number, hint: UnreadHint): void {
    if (outcome.kind === 'page-limit')
      log.warn(
        { pages: outcome.pages, read },
        'scroll-back page limit reached: older bubbles unread',
      )
    else if (outcome.kind === 'lost')
      log.warn({ pages: outcome.pages, read }, 'scroll-back lost its place: older bubbles unread')
    else if (outcome.kind !== 'screen') log.debug({ ...outcome, read, hint }, 'scrolled back')
  }

  async function read(b: Bitmap, p: UiParts, hint: UnreadHint): Promise<string | null> {
    lastTitleHash = hashRect(b, p.titleText)
    lastMessagesHash = hashRect(b, p.messages)
    const title = await readTitle(ocr, b, p.titleText, opts.titleCache)
    if (!title) return null
    const key = title.title
    let memory = chats.get(key)
    const reaches = reachesBack(memory, hint)
    const history = await scrollBack.read<Bitmap, Shown>({
      first: b,
      itemsOf: (screen) => shownOn(screen, p, title.isGroup),
      enough: (items) => reaches(items.map((x) => x.sig)),
      scroll: (before, notches) => opts.pager.scroll(p, before, notches),
      sameView: (x, y) => hashRect(x, p.messages) === hashRect(y, p.messages),
      same: (x, y) => sameBubble(x.sig, y.sig),
      area: { top: p.messages.y, bottom: p.messages.y + p.messages.height },
    })
    report(history.outcome, history.items.length, hint)
    if (!history.atBottom) log.warn('could not scroll the chat back to its newest bubble')
    const shown = history.items
    const prints = shown.map((x) => x.sig)
    const seqs = new Map<number, number>()
    let fresh: number[]
    if (!memory) {
      memory = createChatMemory(sameBubble)
      chats.set(key, memory)
      fresh = pickUnread(
        prints.map((x) => x.side),
        hint,
      )
      if (typeof hint === 'number' && hint > fresh.length)
        log.info({ unread: hint, read: fresh.length }, 'fewer unread bubbles than the badge counts')
      prints.forEach((sig, i) => seqs.set(i, (memory as ChatMemory<BubbleSignature>).remember(sig)))
    } else {
      const { known, matched } = memory.unseen(prints)
      fresh = shown.map((_, i) => i).filter((i) => i >= known)
      if (matched === 0 && memory.size > 0 && shown.length > 0)
        log.warn({ bubbles: shown.length }, 'no overlap with what was read before')
      for (const i of fresh) seqs.set(i, memory.remember(prints[i] as BubbleSignature))
    }
    if (fresh.length === 0) return key

    const seenAt = opts.now()
    const texts = await Promise.all(
      fresh.map(async (i) => {
        const { box, screen } = shown[i] as Shown
        const [text, sender] = await Promise.all([
          readBubbleText(ocr, screen, box, p.messages, layout),
          title.isGroup && box.side === 'customer'
            ? readSender(ocr, screen, box, p.messages, senderCache, layout)
            : Promise.resolve(null),
        ])
        return { i, box, text, sender }
      }),
    )
    for (const { i, box, text, sender } of texts) {
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
