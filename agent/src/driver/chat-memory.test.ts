import { describe, expect, test } from 'vitest'
import { createChatMemory, findBoundary } from './chat-memory.ts'

const at = (known: string, seen: string) => findBoundary([...known], [...seen])

describe('findBoundary', () => {
  test('new bubbles follow the known ones at the bottom', () => {
    expect(at('abcd', 'cdef')).toEqual({ known: 2, matched: 2 })
  })

  test('nothing new when the screen shows only known bubbles', () => {
    expect(at('abcd', 'bcd')).toEqual({ known: 3, matched: 3 })
  })

  test('a repeated message is new, not the one before it', () => {
    // "好的" (x) then "好的" again: the read x,x only matches as far as the known end.
    expect(at('abx', 'abxx')).toEqual({ known: 3, matched: 3 })
    expect(at('abx', 'bxx')).toEqual({ known: 2, matched: 2 })
    expect(at('x', 'xx')).toEqual({ known: 1, matched: 1 })
  })

  test('nothing known when more arrived than fit on the screen', () => {
    expect(at('abc', 'xyz')).toEqual({ known: 0, matched: 0 })
    expect(at('', 'xyz')).toEqual({ known: 0, matched: 0 })
  })

  test('a read that reaches above the memory finds the memory inside it', () => {
    // Scrolled back past the first bubble ever read: z was never in the memory.
    expect(at('abc', 'zabcde')).toEqual({ known: 4, matched: 3 })
  })

  test('a longer match beats a match of the last bubble only', () => {
    // The top bubble equals the last known one, but the real end of the known run is lower.
    expect(at('ab', 'babc')).toEqual({ known: 3, matched: 2 })
  })

  test('a customer repeating the known sequence: the repeat is new', () => {
    expect(at('ab', 'zabab')).toEqual({ known: 3, matched: 2 })
  })

  test('uses the given comparison', () => {
    const same = (a: number, b: number) => Math.abs(a - b) <= 1
    expect(findBoundary([10, 20, 30], [21, 29, 40], same)).toEqual({ known: 2, matched: 2 })
  })
})

describe('chat memory', () => {
  test('numbers bubbles in reading order and reports what is unseen', () => {
    const m = createChatMemory<string>((a, b) => a === b)
    expect([...'abc'].map((x) => m.remember(x))).toEqual([0, 1, 2])
    expect(m.unseen([...'bcde'])).toEqual({ known: 2, matched: 2, fresh: 2 })
    expect(m.remember('d')).toBe(3)
    expect(m.size).toBe(4)
  })

  test('keeps at most its limit, still numbering on', () => {
    const m = createChatMemory<string>((a, b) => a === b, 3)
    for (const x of 'abcde') m.remember(x)
    expect(m.size).toBe(3)
    expect(m.unseen([...'cdef'])).toEqual({ known: 3, matched: 3, fresh: 1 })
    expect(m.remember('f')).toBe(5)
  })
})
