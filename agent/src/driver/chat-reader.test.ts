import { describe, expect, test } from 'vitest'
import { createChatMemory } from './chat-memory.ts'
import { pickUnread, reachesBack } from './chat-reader.ts'
import { markBreaks } from './screen-reader.ts'

describe('pickUnread (a chat seen for the first time)', () => {
  const sides = ['customer', 'self', 'customer', 'customer', 'customer'] as const

  test('the badge count picks the last customer bubbles', () => {
    expect(pickUnread(sides, 2)).toEqual([3, 4])
    expect(pickUnread(sides, 10)).toEqual([0, 2, 3, 4])
  })

  test('a badge without a number picks the customer bubbles after our last reply', () => {
    expect(pickUnread(sides, 'trailing')).toEqual([2, 3, 4])
  })

  test('no badge: nothing is new', () => {
    expect(pickUnread(sides, null)).toEqual([])
  })
})

describe('markBreaks', () => {
  const line = (text: string, right: number, y: number) => ({
    text,
    rect: { x: 100, y, width: right - 100, height: 14 },
  })

  test('in a bubble narrower than the maximum every line break is the sender’s', () => {
    const lines = [line('第一行', 150, 0), line('第二行', 150, 22)]
    expect(markBreaks(lines, 400, false).map((l) => l.hardBreak)).toEqual([true, false])
  })

  test('a full line in a wrapped bubble is a soft wrap; a short one is a hard break', () => {
    const lines = [line('很长的一行', 392, 0), line('短', 130, 22), line('最后', 160, 44)]
    expect(markBreaks(lines, 400, true).map((l) => l.hardBreak)).toEqual([false, true, false])
  })

  test('a long number moved down whole is still a soft wrap', () => {
    const lines = [
      line('收货地址改成上海市浦东新区世纪大道213号，电话', 300, 0),
      line('15888808451。', 200, 22),
    ]
    expect(markBreaks(lines, 400, true).map((l) => l.hardBreak)).toEqual([false, false])
  })
})

describe('reachesBack (when to stop scrolling back)', () => {
  const c = (id: string) => ({ side: 'customer' as const, id })
  const s = (id: string) => ({ side: 'self' as const, id })
  type B = ReturnType<typeof c> | ReturnType<typeof s>
  const memoryOf = (...bs: B[]) => {
    const m = createChatMemory<B>((a, b) => a.side === b.side && a.id === b.id)
    for (const b of bs) m.remember(b)
    return m
  }

  test('a known chat: a run of its last bubbles must show, not just one that may be a repeat', () => {
    const enough = reachesBack(memoryOf(c('a'), c('b'), c('ok')), null)
    // "好的" (ok) at the top may be the customer's new one: look further up.
    expect(enough([c('ok'), c('x'), c('y')])).toBe(false)
    expect(enough([c('a'), c('b'), c('ok'), c('ok'), c('x')])).toBe(true)
    // Nothing new on the screen: nothing to look for.
    expect(enough([c('b'), c('ok')])).toBe(true)
  })

  test('a short memory needs only itself', () => {
    expect(reachesBack(memoryOf(c('a')), null)([c('a'), c('x')])).toBe(true)
  })

  test('a new chat: as many customer bubbles as the badge counts, or back to our last one', () => {
    expect(reachesBack(undefined, 3)([c('1'), s('2'), c('3')])).toBe(false)
    expect(reachesBack(undefined, 3)([c('1'), s('2'), c('3'), c('4')])).toBe(true)
    expect(reachesBack(undefined, 'trailing')([c('1'), c('2')])).toBe(false)
    expect(reachesBack(undefined, 'trailing')([s('0'), c('1')])).toBe(true)
    expect(reachesBack(undefined, null)([c('1')])).toBe(true)
  })
})
