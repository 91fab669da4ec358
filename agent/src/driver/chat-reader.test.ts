import { describe, expect, test } from 'vitest'
import { pickUnread } from './chat-reader.ts'
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
