/**
 * Finding chat bubbles in the message area from their fill colour: white on the customer's
 * side, WeChat green on ours. Rows are scanned for runs of either colour (avatar columns are
 * skipped: a photo avatar may well contain white or green) and runs in consecutive rows that
 * overlap are merged into boxes.
 */
import { toGrey, type Bitmap, type Grey, type Rect } from './bitmap.ts'
import type { Side } from './driver.ts'
import { DEFAULT_LAYOUT, type WeChatLayout } from './screen-geometry.ts'

/** One bubble on screen. */
export interface BubbleBox {
  side: Side
  rect: Rect
  /** Cut by the top or bottom edge of the message area: not fully visible. */
  clipped: boolean
}

interface OpenBox {
  side: Side
  x0: number
  x1: number
  y0: number
  y1: number
  fill: number
}

const MIN_RUN = 8
const MIN_WIDTH = 24
const MIN_HEIGHT = 20

/** Bubbles in `area`, top to bottom. */
export function findBubbles(
  b: Bitmap,
  area: Rect,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): BubbleBox[] {
  const { customerBubble: white, selfBubble: green } = layout.colours
  const tol = layout.tolerance
  const skip = layout.messagePaddingX + layout.avatarSize + 2
  const xStart = Math.max(area.x + skip, b.left)
  const xEnd = Math.min(area.x + area.width - skip, b.left + b.width)
  const yEnd = Math.min(area.y + area.height, b.top + b.height)
  const near = (i: number, c: readonly number[]): boolean => {
    const d = b.data
    const [r, g, bl] = b.order === 'bgr' ? [d[i + 2], d[i + 1], d[i]] : [d[i], d[i + 1], d[i + 2]]
    return (
      Math.abs((r as number) - (c[0] as number)) <= tol &&
      Math.abs((g as number) - (c[1] as number)) <= tol &&
      Math.abs((bl as number) - (c[2] as number)) <= tol
    )
  }
  let open: OpenBox[] = []
  const done: OpenBox[] = []
  for (let y = Math.max(area.y, b.top); y < yEnd; y++) {
    const row = (y - b.top) * b.byteWidth
    const runs: Array<{ side: Side; x0: number; x1: number }> = []
    let cur: { side: Side; x0: number } | null = null
    for (let x = xStart; x <= xEnd; x++) {
      const i = row + (x - b.left) * b.channels
      const side: Side | null =
        x === xEnd ? null : near(i, white) ? 'customer' : near(i, green) ? 'self' : null
      if (cur && side !== cur.side) {
        if (x - cur.x0 >= MIN_RUN) runs.push({ ...cur, x1: x - 1 })
        cur = null
      }
      if (side && !cur) cur = { side, x0: x }
    }
    const next: OpenBox[] = []
    for (const run of runs) {
      const touching = open.filter((o) => o.side === run.side && o.x0 <= run.x1 && run.x0 <= o.x1)
      const merged: OpenBox = {
        side: run.side,
        x0: run.x0,
        x1: run.x1,
        y0: y,
        y1: y,
        fill: run.x1 - run.x0 + 1,
      }
      for (const o of touching) {
        merged.x0 = Math.min(merged.x0, o.x0)
        merged.x1 = Math.max(merged.x1, o.x1)
        merged.y0 = Math.min(merged.y0, o.y0)
        merged.fill += o.fill
      }
      open = open.filter((o) => !touching.includes(o))
      const again = next.find((o) => o.side === run.side && o.x0 <= merged.x1 && merged.x0 <= o.x1)
      if (again) {
        again.x0 = Math.min(again.x0, merged.x0)
        again.x1 = Math.max(again.x1, merged.x1)
        again.y0 = Math.min(again.y0, merged.y0)
        again.fill += merged.fill
      } else next.push(merged)
    }
    done.push(...open)
    open = next
  }
  done.push(...open)
  const bottom = area.y + area.height - 1
  return done
    .filter((o) => o.x1 - o.x0 + 1 >= MIN_WIDTH && o.y1 - o.y0 + 1 >= MIN_HEIGHT)
    .filter((o) => o.fill >= 0.5 * (o.x1 - o.x0 + 1) * (o.y1 - o.y0 + 1))
    .sort((a, c) => a.y0 - c.y0 || a.x0 - c.x0)
    .map((o) => ({
      side: o.side,
      rect: { x: o.x0, y: o.y0, width: o.x1 - o.x0 + 1, height: o.y1 - o.y0 + 1 },
      clipped: o.y0 <= area.y || o.y1 >= bottom,
    }))
}

/** The text inside a bubble: its box less the padding (minus a pixel for anti-aliasing). */
export function textRect(bubble: BubbleBox, layout: WeChatLayout = DEFAULT_LAYOUT): Rect {
  const px = layout.bubblePadding.x - 3
  const py = layout.bubblePadding.y - 3
  return {
    x: bubble.rect.x + px,
    y: bubble.rect.y + py,
    width: Math.max(1, bubble.rect.width - 2 * px),
    height: Math.max(1, bubble.rect.height - 2 * py),
  }
}

/** Where a group member's name sits, just above their bubble. */
export function senderRect(
  bubble: BubbleBox,
  area: Rect,
  layout: WeChatLayout = DEFAULT_LAYOUT,
): Rect {
  const y = Math.max(area.y, bubble.rect.y - layout.senderHeight)
  return {
    x: bubble.rect.x,
    y,
    width: Math.min(240, area.x + area.width - bubble.rect.x),
    height: bubble.rect.y - y,
  }
}

/**
 * A bubble's signature: its side, size and a coarse luminance thumbnail (4×4-pixel cells).
 * The same bubble redrawn matches even when the renderer rasterises it slightly differently
 * (exact pixel hashes were seen to differ between two draws of one bubble); different words do not.
 * In groups the sender line is included, so the same words from two members differ.
 */
export interface BubbleSignature {
  side: Side
  width: number
  height: number
  cols: number
  cells: Uint8Array
}

const CELL = 4

function thumbnail(g: Grey): { cols: number; cells: Uint8Array } {
  const cols = Math.ceil(g.width / CELL)
  const rows = Math.ceil(g.height / CELL)
  const sum = new Float64Array(cols * rows)
  const n = new Uint16Array(cols * rows)
  for (let y = 0; y < g.height; y++)
    for (let x = 0; x < g.width; x++) {
      const c = Math.floor(y / CELL) * cols + Math.floor(x / CELL)
      sum[c] = (sum[c] as number) + (g.data[y * g.width + x] as number)
      n[c] = (n[c] as number) + 1
    }
  return { cols, cells: Uint8Array.from(sum, (v, i) => Math.round(v / (n[i] as number))) }
}

/** The signature of `bubble` (see {@link BubbleSignature}). */
export function bubbleSignature(
  b: Bitmap,
  bubble: BubbleBox,
  area: Rect,
  group: boolean,
): BubbleSignature {
  const top = group && bubble.side === 'customer' ? senderRect(bubble, area).y : bubble.rect.y
  const rect = { ...bubble.rect, y: top, height: bubble.rect.y + bubble.rect.height - top }
  return {
    side: bubble.side,
    width: rect.width,
    height: rect.height,
    ...thumbnail(toGrey(b, rect)),
  }
}

/**
 * Whether two signatures show the same bubble. Redrawing moves a cell by a level or two; a
 * different glyph anywhere in the bubble moves at least one cell by 50 or more.
 */
export function sameBubble(a: BubbleSignature, c: BubbleSignature, tolerance = 24): boolean {
  if (a.side !== c.side || a.width !== c.width || a.height !== c.height) return false
  for (let i = 0; i < a.cells.length; i++)
    if (Math.abs((a.cells[i] as number) - (c.cells[i] as number)) > tolerance) return false
  return true
}
