/**
 * Where things are in the WeChat 4.x PC window, from pixels. Everything is computed relative
 * to the located UI rectangle, so the window may sit anywhere on the screen.
 *
 *   ┌nav─┬list──────────┬title bar──────────────────────────┐
 *   │    │ search       │ 张三                               │
 *   │    ├──────────────┼────────────────────────────────────┤
 *   │    │[av]ⓝ title   │ [av] ┌white┐                       │  ← customer bubbles left
 *   │    │     preview  │      └─────┘          ┌green┐ [av] │  ← ours right
 *   │    │ …rows        ├────────────────────────────────────┤
 *   │    │              │ toolbar / input box / 发送          │
 *   └────┴──────────────┴────────────────────────────────────┘
 */
import { clip, isNear, type Bitmap, type Rect, type Rgb } from './bitmap.ts'

/** Pixel layout and colours of the client at 100 % scale (see e2e/lookalike/public/lookalike.css). */
export interface WeChatLayout {
  navWidth: number
  listWidth: number
  listHeaderHeight: number
  rowHeight: number
  titleHeight: number
  composerHeight: number
  /** Where an unread badge can be, relative to a list row. */
  badgeBox: Rect
  /** The title text of a list row, relative to the row. */
  rowTitleBox: Rect
  /** The search box, relative to the list's top-left. */
  searchBox: Rect
  /** Left/right padding of the message area, avatar size and the gap to the bubble. */
  messagePaddingX: number
  avatarSize: number
  /** A bubble's maximum width as a fraction of the message area minus its padding. */
  bubbleMaxRatio: number
  bubblePadding: { x: number; y: number }
  /** Height of the sender name line above a bubble in a group chat. */
  senderHeight: number
  colours: {
    nav: Rgb
    chat: Rgb
    rowSelected: Rgb
    customerBubble: Rgb
    selfBubble: Rgb
    badge: Rgb
  }
  tolerance: number
}

/** WeChat 4.x, light theme, 100 % scale; the look-alike page renders exactly this. */
export const DEFAULT_LAYOUT: WeChatLayout = {
  navWidth: 56,
  listWidth: 250,
  listHeaderHeight: 60,
  rowHeight: 64,
  titleHeight: 60,
  composerHeight: 150,
  badgeBox: { x: 32, y: 0, width: 50, height: 30 },
  rowTitleBox: { x: 62, y: 10, width: 124, height: 22 },
  searchBox: { x: 12, y: 17, width: 180, height: 26 },
  messagePaddingX: 30,
  avatarSize: 36,
  bubbleMaxRatio: 0.62,
  bubblePadding: { x: 12, y: 8 },
  senderHeight: 20,
  colours: {
    nav: [0x2e, 0x2e, 0x2e],
    chat: [0xf5, 0xf5, 0xf5],
    rowSelected: [0xc9, 0xc9, 0xc9],
    customerBubble: [0xff, 0xff, 0xff],
    selfBubble: [0x95, 0xec, 0x69],
    badge: [0xfa, 0x51, 0x51],
  },
  tolerance: 6,
}

/** The parts of the located window the driver reads or clicks. */
export interface UiParts {
  ui: Rect
  rows: Rect[]
  search: Rect
  titleText: Rect
  messages: Rect
  input: Rect
}

/**
 * Finds the client inside `b` by its navigation bar: a column of nav colour exactly
 * `navWidth` wide. Returns the UI rectangle, or null when no such column is visible.
 */
export function locateUi(b: Bitmap, layout: WeChatLayout = DEFAULT_LAYOUT): Rect | null {
  const { nav, chat } = layout.colours
  const tol = layout.tolerance
  const hits = new Map<number, number[]>()
  for (let y = b.top + 4; y < b.top + b.height - 4; y += 7) {
    let runStart = -1
    for (let x = b.left; x <= b.left + b.width; x++) {
      const inRun = x < b.left + b.width && isNear(b, x, y, nav, tol)
      if (inRun && runStart < 0) runStart = x
      if (!inRun && runStart >= 0) {
        if (Math.abs(x - runStart - layout.navWidth) <= 2)
          hits.set(runStart, [...(hits.get(runStart) ?? []), y])
        runStart = -1
      }
    }
  }
  const best = [...hits.entries()].sort((a, c) => c[1].length - a[1].length)[0]
  if (!best || best[1].length < 5) return null
  const x0 = best[0]
  let top = Math.min(...best[1])
  let bottom = Math.max(...best[1])
  while (top > b.top && isNear(b, x0 + 1, top - 1, nav, tol)) top--
  while (bottom < b.top + b.height - 1 && isNear(b, x0 + 1, bottom + 1, nav, tol)) bottom++
  // The right edge: where the title bar's chat-coloured background ends.
  const y = top + layout.titleHeight - 4
  let right = x0 + layout.navWidth + layout.listWidth + 4
  if (y >= b.top + b.height || right >= b.left + b.width) return null
  while (right < b.left + b.width && isNear(b, right, y, chat, tol)) right++
  return { x: x0, y: top, width: right - x0, height: bottom - top + 1 }
}

/** Rectangles of the list rows, search box, title, message area and input box. */
export function uiParts(ui: Rect, layout: WeChatLayout = DEFAULT_LAYOUT): UiParts {
  const listX = ui.x + layout.navWidth
  const paneX = listX + layout.listWidth
  const paneW = ui.x + ui.width - paneX
  const rowsTop = ui.y + layout.listHeaderHeight
  const count = Math.max(0, Math.floor((ui.y + ui.height - rowsTop) / layout.rowHeight))
  const rows = Array.from({ length: count }, (_, i) => ({
    x: listX,
    y: rowsTop + i * layout.rowHeight,
    width: layout.listWidth - 1,
    height: layout.rowHeight,
  }))
  const composerY = ui.y + ui.height - layout.composerHeight
  const s = layout.searchBox
  return {
    ui,
    rows,
    search: { x: listX + s.x, y: ui.y + s.y, width: s.width, height: s.height },
    // Leave the top-right corner alone: the real client draws its window buttons there.
    titleText: { x: paneX + 20, y: ui.y + 12, width: Math.max(40, paneW - 180), height: 36 },
    messages: {
      x: paneX,
      y: ui.y + layout.titleHeight,
      width: paneW,
      height: composerY - ui.y - layout.titleHeight,
    },
    input: { x: paneX + 30, y: composerY + 40, width: Math.max(40, paneW - 60), height: 64 },
  }
}

/** A rectangle given relative to `base`'s top-left corner, in screen coordinates. */
export function within(base: Rect, r: Rect): Rect {
  return { x: base.x + r.x, y: base.y + r.y, width: r.width, height: r.height }
}

/** The centre of `r`. */
export function centre(r: Rect): { x: number; y: number } {
  return { x: Math.round(r.x + r.width / 2), y: Math.round(r.y + r.height / 2) }
}

/** Whether `row` is the highlighted (open) chat in the list. */
export function isRowSelected(
  b: Bitmap,
  row: Rect,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): boolean {
  return isNear(b, row.x + 3, row.y + row.height - 3, layout.colours.rowSelected, layout.tolerance)
}

/** The tight box of badge-red pixels in `row`'s badge area, or null when the row has no badge. */
export function findBadge(
  b: Bitmap,
  row: Rect,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): Rect | null {
  const area = clip(b, within(row, layout.badgeBox))
  let x0 = Infinity
  let y0 = Infinity
  let x1 = -1
  let y1 = -1
  let n = 0
  for (let y = area.y; y < area.y + area.height; y++)
    for (let x = area.x; x < area.x + area.width; x++) {
      if (!isNear(b, x, y, layout.colours.badge, 24)) continue
      n++
      x0 = Math.min(x0, x)
      y0 = Math.min(y0, y)
      x1 = Math.max(x1, x)
      y1 = Math.max(y1, y)
    }
  // A badge is a solid disc or pill at least ~14 px across; red text in a preview is not.
  if (n < 80 || x1 - x0 < 12 || y1 - y0 < 12) return null
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

/** The widest a bubble can be in `messages` before its text wraps. */
export function bubbleMaxWidth(messages: Rect, layout: WeChatLayout = DEFAULT_LAYOUT): number {
  return Math.floor((messages.width - 2 * layout.messagePaddingX) * layout.bubbleMaxRatio)
}
