import { describe, expect, test } from 'vitest'
import { createChatMemory, overlap } from './chat-memory.ts'

describe('overlap', () => {
  test('new bubbles follow the known ones at the bottom', () => {
    expect(overlap([...'abcd'], [...'cdef'])).toBe(2)
  })

  test('nothing new when the screen shows only known bubbles', () => {
    expect(overlap([...'abcd'], [...'bcd'])).toBe(3)
  })

  test('a repeated message is new, not the one before it', () => {
    // "好的" (x) then "好的" again: the visible x,x only overlaps as far as the known tail.
    expect(overlap([...'abx'], [...'abxx'])).toBe(3)
    expect(overlap([...'abx'], [...'bxx'])).toBe(2)
  })

  test('no overlap when more arrived than fit on the screen', () => {
    expect(overlap([...'abc'], [...'xyz'])).toBe(0)
    expect(overlap([], [...'xyz'])).toBe(0)
  })

  test('uses the given comparison', () => {
    const same = (a: number, b: number) => Math.abs(a - b) <= 1
    expect(overlap([10, 20, 30], [21, 29, 40], same)).toBe(2)
  })
})

describe('chat memory', () => {
  test('numbers bubbles in reading order and reports what is unseen', () => {
    const m = createChatMemory<string>((a, b) => a === b)
    expect([...'abc'].map((x) => m.remember(x))).toEqual([0, 1, 2])
    expect(m.unseen([...'bcde'])).toEqual({ known: 2, fresh: 2 })
    expect(m.remember('d')).toBe(3)
    expect(m.size).toBe(4)
  })

  test('keeps at most its limit, still numbering on', () => {
    const m = createChatMemory<string>((a, b) => a === b, 3)
    for (const x of 'abcde') m.remember(x)
    expect(m.size).toBe(3)
    expect(m.unseen([...'cdef'])).toEqual({ known: 3, fresh: 1 })
    expect(m.remember('f')).toBe(5)
  })
})
