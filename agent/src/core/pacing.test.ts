import { expect, test } from 'vitest'
import fc from 'fast-check'
import { createPacer } from './pacing.ts'

const noTyping = { typingBaseMs: 0, typingPerCharMs: 0, typingMaxMs: 0 }

test('never allows two sends less than a second apart, whatever the settings', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 30 }), (gap, arrivals) => {
      const p = createPacer({ minGapMs: gap, jitterMs: 0, ...noTyping, perChatMax: 1000, globalMax: 1000 }, () => 0.5)
      let now = 0
      let prev = -Infinity
      for (const a of arrivals) {
        now += a
        const at = now + p.waitMs('c', 'x', now)
        p.record('c', at)
        expect(at - prev).toBeGreaterThanOrEqual(1000)
        prev = at
        now = at
      }
    }),
  )
})

test('jitter varies the gap within its range', () => {
  const gaps = [0, 0.5, 0.999].map((r) => {
    const p = createPacer({ minGapMs: 1000, jitterMs: 1000, ...noTyping }, () => r)
    p.record('c', 0)
    return p.waitMs('c', 'x', 0)
  })
  expect(gaps).toEqual([1000, 1500, 1999])
})

test('per-chat and global limits queue replies instead of bursting', () => {
  const p = createPacer({ minGapMs: 1000, jitterMs: 0, ...noTyping, perChatMax: 2, globalMax: 3, windowMs: 60_000 }, () => 0)
  p.record('a', 0)
  p.record('a', 1000)
  expect(p.waitMs('a', 'x', 2000)).toBe(58_000) // a's third send waits for the window
  expect(p.waitMs('b', 'x', 2000)).toBe(0)
  p.record('b', 2000)
  expect(p.waitMs('c', 'x', 3000)).toBe(57_000) // global limit of 3 per minute
})

test('the typing delay grows with the length of the text, up to a cap', () => {
  const p = createPacer({ typingBaseMs: 300, typingPerCharMs: 100, typingMaxMs: 2000 })
  expect(p.waitMs('c', '好的', 0)).toBe(500)
  expect(p.waitMs('c', '您好，您的订单已经发货了', 0)).toBe(1500)
  expect(p.waitMs('c', '长'.repeat(100), 0)).toBe(2000)
})
