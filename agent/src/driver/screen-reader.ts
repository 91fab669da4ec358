/**
 * Reading text off WeChat's window: chat titles (cached by their pixels), bubble texts with
 * their line breaks, group sender names and unread badge counts. Pure functions of a grabbed
 * bitmap and an OCR engine.
 */
import { countInk, hashRect, type Bitmap, type Rect } from './bitmap.ts'
import { senderRect, textRect, type BubbleBox } from './bubble-detect.ts'
import type { OcrEngine, OcrLine } from './ocr.ts'
import { bubbleMaxWidth, within, DEFAULT_LAYOUT, type WeChatLayout } from './screen-geometry.ts'
import { joinLines, normaliseOcrText, parseChatTitle, type ChatTitle } from './text-normalise.ts'

/** Pixel hash → text, so the same title is read once and always yields the same chat key. */
export type TextCache = Map<string, string>

const INK_MIN = 6
const FONT_PX = 14
/** Widest Latin glyph at that size (digits and capitals). */
const LATIN_PX = 10

/** Text in `rect` read as one block, cached by the region's pixels. Empty when there is no ink. */
export async function readCached(
  ocr: OcrEngine,
  b: Bitmap,
  rect: Rect,
  cache: TextCache,
): Promise<string> {
  if (countInk(b, rect) < INK_MIN) return ''
  const key = hashRect(b, rect)
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const text = normaliseOcrText((await ocr.read(b, rect)).text).replace(/\n/g, ' ')
  if (cache.size > 500) cache.clear()
  cache.set(key, text)
  return text
}

/** The open chat's title bar, or null when no chat is open. */
export async function readTitle(
  ocr: OcrEngine,
  b: Bitmap,
  titleText: Rect,
  cache: TextCache,
): Promise<ChatTitle | null> {
  const raw = await readCached(ocr, b, titleText, cache)
  if (raw === '') return null
  const title = parseChatTitle(raw)
  return title.title === '' ? null : title
}

/** The title shown in a chat-list row ('' for an empty row). */
export function readRowTitle(
  ocr: OcrEngine,
  b: Bitmap,
  row: Rect,
  cache: TextCache,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): Promise<string> {
  return readCached(ocr, b, within(row, layout.rowTitleBox), cache)
}

/** The number on an unread badge; null when it cannot be read (a muted chat's plain dot). */
export async function readBadgeCount(
  ocr: OcrEngine,
  b: Bitmap,
  badge: Rect,
): Promise<number | null> {
  const inner = {
    x: badge.x + 2,
    y: badge.y + 1,
    width: Math.max(1, badge.width - 4),
    height: Math.max(1, badge.height - 2),
  }
  const text = (await ocr.read(b, inner, 'digits')).text.replace(/[^0-9]/g, '')
  const n = Number.parseInt(text, 10)
  return Number.isFinite(n) && n > 0 ? n : null
}

/**
 * Marks each line as ended by the sender's Enter or by wrapping. A bubble narrower than the
 * maximum never wraps. In a full-width bubble a wrapped line ends within a character or two of
 * the edge, unless a Latin word too long for the rest of the line moved down whole; a line
 * that stops further short than that was broken by hand.
 */
export function markBreaks(
  lines: readonly Pick<OcrLine, 'text' | 'rect'>[],
  textRight: number,
  wrapped: boolean,
) {
  return lines.map((l, i) => {
    const next = lines[i + 1]
    if (!next) return { text: l.text, hardBreak: false }
    if (!wrapped) return { text: l.text, hardBreak: true }
    const gap = textRight - (l.rect.x + l.rect.width)
    const word = /^[\x21-\x7e]+/.exec(next.text.trim())?.[0] ?? ''
    const room = Math.max(3 * FONT_PX, (word.length + 1) * LATIN_PX)
    return { text: l.text, hardBreak: gap > room }
  })
}

/** The text of one bubble, its lines joined into one message. */
export async function readBubbleText(
  ocr: OcrEngine,
  b: Bitmap,
  bubble: BubbleBox,
  messages: Rect,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): Promise<string> {
  const rect = textRect(bubble, layout)
  const res = await ocr.read(b, rect)
  const lines = [...res.lines]
    .filter((l) => l.text.trim() !== '')
    .sort((a, c) => a.rect.y - c.rect.y)
  if (lines.length === 0) return normaliseOcrText(res.text)
  // The box includes the little arrow that points at the avatar.
  const bodyWidth = bubble.rect.width - 5
  const wrapped = bodyWidth >= bubbleMaxWidth(messages, layout) - FONT_PX
  return joinLines(markBreaks(lines, rect.x + rect.width, wrapped))
}

/** A group member's name above their bubble, or null when there is none. */
export async function readSender(
  ocr: OcrEngine,
  b: Bitmap,
  bubble: BubbleBox,
  messages: Rect,
  cache: TextCache,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): Promise<string | null> {
  const rect = senderRect(bubble, messages, layout)
  if (rect.height < 10) return null
  const name = await readCached(ocr, b, rect, cache)
  return name === '' ? null : name
}
