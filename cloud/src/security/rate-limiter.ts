/**
 * Token buckets in memory, one per key (`agent:<id>`, `user:<id>`, `login-ip:<ip>`…). Each
 * instance limits on its own: behind a proxy with N instances a caller gets at most N times the
 * rate, which is what a per-instance limit is for (protecting this process and the database).
 *
 *   full (capacity) ──take──► tokens - 1 ──…──► 0 ──take──► refused, retry after (1 - tokens) / rate
 *        ▲                                                           │
 *        └──────────────── refills at `ratePerSec`, up to capacity ◄─┘
 */

export interface RateLimiterOptions {
  /** Bucket size: how many requests may arrive at once. */
  capacity: number
  /** Tokens added per second. */
  ratePerSec: number
  /** Most buckets kept; the least recently used are dropped beyond it. Default 50 000. */
  maxKeys?: number
  now?: () => number
}

export type RateDecision = { ok: true } | { ok: false; retryAfterS: number }

export interface RateLimiter {
  /** Takes one token from `key`'s bucket. */
  take(key: string): RateDecision
  /** Forgets every bucket (tests, config reload). */
  reset(): void
}

interface Bucket {
  tokens: number
  at: number
}

export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  if (!(o.capacity >= 1) || !(o.ratePerSec > 0))
    throw new RangeError('rate limiter needs capacity ≥ 1 and rate > 0')
  const now = o.now ?? Date.now
  const maxKeys = o.maxKeys ?? 50_000
  const buckets = new Map<string, Bucket>()
  return {
    take(key) {
      const t = now()
      let b = buckets.get(key)
      if (b) {
        buckets.delete(key) // re-inserted below: Map order is our LRU order
        b.tokens = Math.min(o.capacity, b.tokens + ((t - b.at) / 1000) * o.ratePerSec)
        b.at = t
      } else {
        b = { tokens: o.capacity, at: t }
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!)
      }
      buckets.set(key, b)
      if (b.tokens >= 1) {
        b.tokens -= 1
        return { ok: true }
      }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / o.ratePerSec)) }
    },
    reset() {
      buckets.clear()
    },
  }
}
