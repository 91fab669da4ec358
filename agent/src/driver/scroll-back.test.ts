import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import type { Span } from './page-stitch.ts'
import { createScrollBack, type HistoryRead } from './scroll-back.ts'

interface Bubble {
  sig: string
  height: number
}
interface Item {
  index: number
  sig: string
  top: number
  height: number
}
interface Screen {
  /** Pixels the view is scrolled up from the bottom, as drawn on this screen. */
  shown: number
}

const area: Span = { top: 60, bottom: 550 }
const GAP = 16

/**
 * A chat's message column: bubbles stacked with a gap, a viewport `area` tall that starts at
 * the bottom, a wheel that moves `pxPerNotch` a notch. With `lag`, a screen may be grabbed
 * before the scroll has finished (it shows part of the way; the scroll goes on), as a grab
 * of a slow client can be.
 */
function fakeChat(history: readonly Bubble[], pxPerNotch: number, lag: readonly number[] = []) {
  const tops: number[] = []
  let y = 12
  for (const b of history) {
    tops.push(y)
    y += b.height + GAP
  }
  const viewport = area.bottom - area.top
  const max = Math.max(0, y - viewport)
  let target = 0
  let turns = 0
  const moves: number[] = []
  const itemsOf = (s: Screen): Item[] => {
    const scrollTop = max - s.shown
    return history
      .map((b, index) => ({
        index,
        sig: b.sig,
        height: b.height,
        top: area.top + (tops[index] as number) - scrollTop,
      }))
      .filter((b) => b.top > area.top && b.top + b.height - 1 < area.bottom - 1)
  }
  const read = (enough: (items: readonly Item[]) => boolean): HistoryRead<Screen, Item> => ({
    first: { shown: target },
    itemsOf,
    enough,
    async scroll(before, notches) {
      target = Math.min(max, Math.max(0, target - notches * pxPerNotch))
      // Looking again finds the scroll finished.
      const part = notches === 0 ? 1 : (lag[turns++ % Math.max(1, lag.length)] ?? 1)
      const shown = Math.round(before.shown + (target - before.shown) * part)
      moves.push(notches)
      return shown === before.shown ? null : { shown }
    },
    sameView: (a, b) => a.shown === b.shown,
    same: (a, b) => a.sig === b.sig && a.height === b.height,
    area,
  })
  return { read, moves, atBottom: () => target === 0 }
}

const short = (sig: string): Bubble => ({ sig, height: 38 })
const indices = (items: readonly Item[]) => items.map((i) => i.index)
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

describe('scroll back', () => {
  test('reads a chat three screens tall to the top, each bubble once, and returns to the bottom', async () => {
    const history = [...'一二三四五六七八九十'.repeat(3)].map((c, i) => short(`${c}${i}`))
    history.splice(14, 0, short('好的'), short('好的'))
    const chat = fakeChat(history, 120)
    const got = await createScrollBack().read(chat.read(() => false))
    expect(indices(got.items)).toEqual(range(0, history.length))
    expect(got.outcome).toMatchObject({ kind: 'top' })
    expect(chat.atBottom()).toBe(true)
  })

  test('once a notch is measured, a run longer than the screen ("在吗" × 20) is counted by the distance', async () => {
    const spam = [
      ...Array.from({ length: 8 }, (_, i) => short(`${i}`)),
      ...Array.from({ length: 20 }, () => short('在吗')),
    ]
    for (const px of [40, 53, 120]) {
      const back = createScrollBack()
      // An earlier chat with distinct messages measured the notch.
      await back.read(
        fakeChat(
          Array.from({ length: 20 }, (_, i) => short(`${i}`)),
          px,
        ).read(() => false),
      )
      expect(back.pxPerNotch).toBe(px)
      const got = await back.read(fakeChat(spam, px).read(() => false))
      expect(indices(got.items)).toEqual(range(0, spam.length))
    }
  })

  test('reads nothing above the screen when the first screen is enough', async () => {
    const chat = fakeChat(
      Array.from({ length: 30 }, (_, i) => short(`${i}`)),
      120,
    )
    const got = await createScrollBack().read(chat.read((items) => items.length > 0))
    expect(got.outcome).toEqual({ kind: 'screen' })
    expect(chat.moves).toEqual([])
  })

  test('stops once enough is read', async () => {
    const chat = fakeChat(
      Array.from({ length: 60 }, (_, i) => short(`${i}`)),
      53,
    )
    const got = await createScrollBack().read(chat.read((items) => items.length >= 20))
    expect(got.outcome.kind).toBe('found')
    expect(indices(got.items)).toEqual(range(60 - got.items.length, 60))
    expect(got.items.length).toBeGreaterThanOrEqual(20)
    expect(chat.atBottom()).toBe(true)
  })

  test('reports the page limit, keeping what it read, and still returns to the bottom', async () => {
    const chat = fakeChat(
      Array.from({ length: 200 }, (_, i) => short(`${i}`)),
      120,
    )
    const got = await createScrollBack({ maxPages: 3 }).read(chat.read(() => false))
    expect(got).toMatchObject({ outcome: { kind: 'page-limit', pages: 3 }, atBottom: true })
    expect(indices(got.items)).toEqual(range(200 - got.items.length, 200))
    expect(chat.atBottom()).toBe(true)
  })

  test('later turns are sized from the measured notch', async () => {
    const chat = fakeChat(
      Array.from({ length: 80 }, (_, i) => short(`${i}`)),
      40,
    )
    const back = createScrollBack()
    await back.read(chat.read(() => false))
    expect(back.pxPerNotch).toBe(40)
    // The first turn is looked at twice (0: no turn) to measure a finished scroll. 55 % of a
    // 490 px area is 269 px: six notches of 40 px (doubling up to it from 1).
    expect(chat.moves.slice(0, 6)).toEqual([-1, 0, -2, -4, -6, -6])
  })

  test('any history, notch size and lagging screens: every bubble once, in order', async () => {
    // Runs of identical bubbles up to ~200 px: a run filling the screen at the very top of a
    // chat lines up at more than one shift (see page-stitch.ts), so it is left out here.
    const bubble = fc.oneof(
      fc.record({ height: fc.constant(38), repeat: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ height: fc.constantFrom(60, 82), repeat: fc.integer({ min: 1, max: 2 }) }),
      fc.record({ height: fc.constant(126), repeat: fc.constant(1) }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(bubble, { minLength: 1, maxLength: 80 }),
        fc.constantFrom(40, 53, 100, 120, 150),
        fc.array(fc.constantFrom(1, 1, 0.6, 0.9), { maxLength: 4 }),
        async (records, px, lag) => {
          // Distinct messages, some sent two or three times in a row ("好的", "好的").
          const history = records.flatMap((r, i) =>
            Array.from({ length: r.repeat }, () => ({ sig: `m${i}`, height: r.height })),
          )
          const chat = fakeChat(history, px, lag)
          const got = await createScrollBack({ maxPages: 200 }).read(chat.read(() => false))
          expect(indices(got.items)).toEqual(range(0, history.length))
          expect(chat.atBottom()).toBe(true)
        },
      ),
      { numRuns: 500 },
    )
  })
})
