import { describe, expect, test } from 'vitest'
import type { Bitmap, Rect, Rgb } from './bitmap.ts'
import { bubbleSignature, findBubbles, sameBubble, textRect } from './bubble-detect.ts'
import {
  DEFAULT_LAYOUT as L,
  bubbleMaxWidth,
  findBadge,
  isRowSelected,
  locateUi,
  uiParts,
} from './screen-geometry.ts'

/** A BGRA screen like nut-js grabs, painted with rectangles. */
function screen(width: number, height: number, bg: Rgb = [0, 0, 0]) {
  const b: Bitmap = {
    left: 0,
    top: 0,
    width,
    height,
    data: new Uint8Array(width * height * 4),
    channels: 4,
    byteWidth: width * 4,
    order: 'bgr',
  }
  const fill = (r: Rect, c: Rgb) => {
    for (let y = r.y; y < r.y + r.height; y++)
      for (let x = r.x; x < r.x + r.width; x++) {
        const i = y * b.byteWidth + x * 4
        b.data[i] = c[2]
        b.data[i + 1] = c[1]
        b.data[i + 2] = c[0]
      }
  }
  fill({ x: 0, y: 0, width, height }, bg)
  return { b, fill }
}

const UI = { x: 70, y: 45, width: 1000, height: 700 }
const INK: Rgb = [20, 20, 20]

/** The look-alike's frame: nav, list (second row selected), chat pane. */
function wechat() {
  const s = screen(1280, 800)
  const { nav, chat, rowSelected } = L.colours
  s.fill({ x: UI.x, y: UI.y, width: L.navWidth, height: UI.height }, nav)
  s.fill({ x: UI.x + 14, y: UI.y + 28, width: 28, height: 28 }, [87, 107, 149]) // own avatar
  s.fill(
    { x: UI.x + L.navWidth, y: UI.y, width: L.listWidth, height: UI.height },
    [0xe6, 0xe6, 0xe6],
  )
  s.fill(
    { x: UI.x + L.navWidth, y: UI.y + 60 + 64, width: L.listWidth - 1, height: 64 },
    rowSelected,
  )
  s.fill(
    {
      x: UI.x + L.navWidth + L.listWidth,
      y: UI.y,
      width: UI.width - L.navWidth - L.listWidth,
      height: UI.height,
    },
    chat,
  )
  s.fill({ x: UI.x + 340, y: UI.y + 20, width: 40, height: 16 }, INK) // the title text
  return s
}

/** A bubble with a few "glyphs" inside, like text breaking up the fill colour. */
function bubble(s: ReturnType<typeof screen>, r: Rect, c: Rgb) {
  s.fill(r, c)
  for (let x = r.x + 12; x + 10 < r.x + r.width - 12; x += 16)
    s.fill({ x, y: r.y + 10, width: 12, height: 14 }, INK)
}

describe('locateUi', () => {
  test('finds the client by its navigation bar wherever the window is', () => {
    expect(locateUi(wechat().b)).toEqual(UI)
  })

  test('returns null when no WeChat is on the screen', () => {
    expect(locateUi(screen(800, 600, [40, 80, 120]).b)).toBeNull()
  })
})

describe('uiParts', () => {
  test('derives rows, title, message area and input box from the UI rectangle', () => {
    const p = uiParts(UI)
    expect(p.rows).toHaveLength(10)
    expect(p.rows[0]).toEqual({ x: 126, y: 105, width: 249, height: 64 })
    expect(p.messages).toEqual({ x: 376, y: 105, width: 694, height: 490 })
    expect(p.input.y).toBeGreaterThan(p.messages.y + p.messages.height)
    expect(bubbleMaxWidth(p.messages)).toBe(Math.floor((694 - 60) * 0.62))
  })
})

describe('list rows', () => {
  test('a red badge on the avatar corner marks an unread row', () => {
    const s = wechat()
    const rows = uiParts(UI).rows
    const row = rows[2] as Rect
    s.fill({ x: row.x + 42, y: row.y + 4, width: 18, height: 18 }, L.colours.badge)
    expect(findBadge(s.b, row)).toEqual({ x: row.x + 42, y: row.y + 4, width: 18, height: 18 })
    expect(findBadge(s.b, rows[0] as Rect)).toBeNull()
  })

  test('red preview text is not a badge', () => {
    const s = wechat()
    const row = uiParts(UI).rows[3] as Rect
    for (let x = 0; x < 40; x += 3)
      s.fill({ x: row.x + 40 + x, y: row.y + 20, width: 1, height: 10 }, L.colours.badge)
    expect(findBadge(s.b, row)).toBeNull()
  })

  test('the selected row is told by its background', () => {
    const { b } = wechat()
    const rows = uiParts(UI).rows
    expect(rows.map((r) => isRowSelected(b, r))).toEqual(rows.map((_, i) => i === 1))
  })
})

describe('findBubbles', () => {
  test('finds customer bubbles on the left and ours on the right, skipping avatars', () => {
    const s = wechat()
    const m = uiParts(UI).messages
    s.fill({ x: m.x + 30, y: m.y + 20, width: 36, height: 36 }, [255, 255, 255]) // a white avatar
    bubble(s, { x: m.x + 78, y: m.y + 20, width: 200, height: 38 }, L.colours.customerBubble)
    bubble(s, { x: m.x + 78, y: m.y + 80, width: 420, height: 82 }, L.colours.customerBubble)
    bubble(
      s,
      { x: m.x + m.width - 78 - 150, y: m.y + 180, width: 150, height: 38 },
      L.colours.selfBubble,
    )
    const found = findBubbles(s.b, m)
    expect(found.map((f) => [f.side, f.rect])).toEqual([
      ['customer', { x: m.x + 78, y: m.y + 20, width: 200, height: 38 }],
      ['customer', { x: m.x + 78, y: m.y + 80, width: 420, height: 82 }],
      ['self', { x: m.x + m.width - 228, y: m.y + 180, width: 150, height: 38 }],
    ])
    expect(found.every((f) => !f.clipped)).toBe(true)
    expect(textRect(found[0]!)).toEqual({ x: m.x + 87, y: m.y + 25, width: 182, height: 28 })
  })

  test('marks a bubble cut by the top of the message area as clipped', () => {
    const s = wechat()
    const m = uiParts(UI).messages
    bubble(s, { x: m.x + 78, y: m.y, width: 200, height: 30 }, L.colours.customerBubble)
    expect(findBubbles(s.b, m).map((f) => f.clipped)).toEqual([true])
  })
})

describe('bubble signatures', () => {
  test('the same bubble redrawn elsewhere matches; different text does not', () => {
    const s = wechat()
    const m = uiParts(UI).messages
    bubble(s, { x: m.x + 78, y: m.y + 20, width: 200, height: 38 }, L.colours.customerBubble)
    bubble(s, { x: m.x + 78, y: m.y + 120, width: 200, height: 38 }, L.colours.customerBubble)
    bubble(s, { x: m.x + 78, y: m.y + 220, width: 200, height: 38 }, L.colours.customerBubble)
    s.fill({ x: m.x + 78 + 100, y: m.y + 120 + 10, width: 3, height: 14 }, [245, 245, 245]) // a glyph differs
    s.fill({ x: m.x + 78 + 60, y: m.y + 220 + 12, width: 1, height: 1 }, [60, 60, 60]) // a pixel differs
    const [a, b, c] = findBubbles(s.b, m).map((f) => bubbleSignature(s.b, f, m, false))
    expect(sameBubble(a!, c!)).toBe(true)
    expect(sameBubble(a!, b!)).toBe(false)
  })
})
