import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { createRateLimiter } from './rate-limiter.ts'

describe('token bucket', () => {
  test('a burst of `capacity`, then one per 1/rate seconds, with the wait as Retry-After', () => {
    let now = 0
    const l = createRateLimiter({ capacity: 3, ratePerSec: 0.5, now: () => now })
    expect([l.take('a'), l.take('a'), l.take('a')].every((d) => d.ok)).toBe(true)
    expect(l.take('a')).toEqual({ ok: false, retryAfterS: 2 })
    expect(l.take('b').ok).toBe(true)
    now += 1000
    expect(l.take('a')).toEqual({ ok: false, retryAfterS: 1 })
    now += 1000
    expect(l.take('a').ok).toBe(true)
    expect(l.take('a').ok).toBe(false)
  })

  test('never more than capacity + rate × elapsed requests pass, whatever the arrival pattern', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 300 }),
        (cap, rate, gaps) => {
          let now = 0
          const l = createRateLimiter({ capacity: cap, ratePerSec: rate, now: () => now })
          let passed = 0
          for (const g of gaps) {
            now += g
            if (l.take('k').ok) passed++
          }
          return passed <= cap + (rate * now) / 1000 + 1e-9
        },
      ),
    )
  })

  test('the least recently used buckets are dropped past maxKeys', () => {
    const l = createRateLimiter({ capacity: 1, ratePerSec: 0.001, maxKeys: 2 })
    expect(l.take('a').ok).toBe(true)
    expect(l.take('b').ok).toBe(true)
    expect(l.take('c').ok).toBe(true) // evicts a
    expect(l.take('a').ok).toBe(true) // a fresh bucket again
    expect(l.take('c').ok).toBe(false)
  })
})
