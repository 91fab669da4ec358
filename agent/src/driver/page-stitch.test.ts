import { describe, expect, test } from 'vitest'
import { alignPages, createStitch, roomAbove, type PageItem, type Span } from './page-stitch.ts'

interface Item extends PageItem {
  sig: string
}
const same = (a: Item, b: Item) => a.sig === b.sig && a.height === b.height
/** A message area 300 px tall: five bubbles fit. */
const area: Span = { top: 100, bottom: 400 }
const opts = { same, area }

/**
 * The bubbles fully visible when the chat `history` (one letter a bubble, 40 px tall, one
 * every 60 px) is scrolled `fromBottom` px up from its newest bubble.
 */
function view(history: string, fromBottom: number, jitter = 0): Item[] {
  const height = history.length * 60 + 10
  const scrollTop = Math.max(0, height - (area.bottom - area.top) - fromBottom)
  return [...history]
    .map((sig, i) => ({ sig, top: area.top + 10 + i * 60 - scrollTop + jitter, height: 40 }))
    .filter((b) => b.top > area.top && b.top + b.height - 1 < area.bottom - 1)
}
const sigs = (items: readonly Item[]) => items.map((i) => i.sig).join('')

describe('alignPages', () => {
  test('finds how far the content moved', () => {
    const history = 'abcdefghij'
    expect(sigs(view(history, 0))).toBe('ghij')
    expect(sigs(view(history, 120))).toBe('efgh')
    expect(alignPages(view(history, 120), view(history, 0), opts)).toEqual({
      kind: 'aligned',
      shift: 120,
      matched: 2,
      fits: 1,
      exact: false,
    })
  })

  test('tells two identical bubbles in a row apart by where they are', () => {
    // 好的, 好的 (x x) straddle the page edge: the lower page shows only the second one.
    const history = 'abcxxdefg'
    expect(sigs(view(history, 50))).toBe('xdef')
    expect(sigs(view(history, 170))).toBe('cxxd')
    // Lining the lower x up with the upper second x would put d where the upper page has x.
    expect(alignPages(view(history, 170), view(history, 50), opts)).toEqual({
      kind: 'aligned',
      shift: 120,
      matched: 2,
      fits: 1,
      exact: false,
    })
  })

  test('refuses a shift at which a bubble is missing from one page', () => {
    const upper = view('abcdefghij', 120).map((b) => (b.sig === 'g' ? { ...b, sig: 'z' } : b))
    expect(alignPages(upper, view('abcdefghij', 0), opts)).toMatchObject({ kind: 'unaligned' })
    expect(alignPages(view('abcdefghij', 300), view('abcdefghij', 0), opts)).toEqual({
      kind: 'unaligned',
      candidates: 0,
    })
  })

  test('a run of identical bubbles fits several shifts; the measured notch picks one', () => {
    const history = 'axxxxxxxxb'
    const lower = view(history, 60)
    const upper = view(history, 180)
    expect(alignPages(upper, lower, { ...opts, expected: 120 })).toMatchObject({ shift: 120 })
    expect(alignPages(upper, lower, { ...opts, expected: 60 })).toMatchObject({ shift: 60 })
    // Without a measurement the largest overlap wins.
    expect(alignPages(upper, lower, opts)).toMatchObject({ shift: 60, matched: 3 })
  })

  test('tolerates a pixel of difference between two reads of a bubble', () => {
    const got = alignPages(view('abcdefghij', 120, 1), view('abcdefghij', 0), opts)
    expect(got).toMatchObject({ kind: 'aligned', shift: 121 })
  })
})

describe('createStitch', () => {
  test('joins pages oldest first, each bubble once, repeated ones kept', () => {
    const history = 'abcxxdefg'
    const s = createStitch(opts)
    expect(s.add(view(history, 0), 0)).toBe(4)
    expect(s.add(view(history, 50), 50)).toBe(1)
    expect(s.add(view(history, 170), 120)).toBe(2)
    // The top of the chat: the last turn moved less than asked.
    expect(s.add(view(history, 290), 80)).toBe(2)
    expect(sigs(s.items())).toBe(history)
  })
})

describe('roomAbove', () => {
  test('keeps the top two bubbles in view, and more while they are all alike', () => {
    // Tops 160, 220, 280, 340; 40 px tall; the area ends at 400 (minus a margin of 5).
    expect(roomAbove(view('abcdefghij', 0), area, same)).toBe(395 - 260)
    expect(roomAbove(view('abcdefgxxj', 0), area, same)).toBe(395 - 260)
    expect(roomAbove(view('abcdefxxij', 0), area, same)).toBe(395 - 320)
    expect(roomAbove([], area, same)).toBe(0)
  })
})
