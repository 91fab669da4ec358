import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  InvalidResponseError,
  backoffDelay,
  classifyError,
  isProviderFault,
  isRetryable,
  parseRetryAfter,
  retryDelay,
  type AttemptError,
} from './retry-policy.ts'

const NOW = Date.parse('2025-06-01T12:00:00Z')
const plain = { timedOut: false, callerAborted: false }
const http = (status: number, retryAfterMs: number | null = null): AttemptError => ({
  kind: 'http',
  status,
  retryAfterMs,
  message: '',
})

describe('parseRetryAfter', () => {
  test('reads delta-seconds', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3_000)
    expect(parseRetryAfter(' 0.5 ', NOW)).toBe(500)
  })

  test('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:07 GMT', NOW)).toBe(7_000)
  })

  test('a date in the past means no wait', () => {
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', NOW)).toBe(0)
  })

  test('absent or garbage is null', () => {
    expect(parseRetryAfter(null, NOW)).toBeNull()
    expect(parseRetryAfter('', NOW)).toBeNull()
    expect(parseRetryAfter('soon', NOW)).toBeNull()
    expect(parseRetryAfter('-1', NOW)).toBeNull()
  })
})

describe('classifyError', () => {
  test('an SDK APIError keeps its status and Retry-After', () => {
    const err = Object.assign(new Error('429'), {
      status: 429,
      headers: new Headers({ 'retry-after': '2' }),
    })
    expect(classifyError(err, plain, NOW)).toMatchObject({
      kind: 'http',
      status: 429,
      retryAfterMs: 2_000,
    })
  })

  test('retry-after-ms wins over retry-after', () => {
    const headers = new Headers({ 'retry-after': '2', 'retry-after-ms': '150' })
    const err = Object.assign(new Error('x'), { status: 503, headers })
    expect(classifyError(err, plain, NOW).retryAfterMs).toBe(150)
  })

  test('our own timeout and caller abort win over what the SDK says', () => {
    const err = Object.assign(new Error('aborted'), { status: undefined })
    expect(classifyError(err, { timedOut: true, callerAborted: false }, NOW).kind).toBe('timeout')
    expect(classifyError(err, { timedOut: true, callerAborted: true }, NOW).kind).toBe('aborted')
  })

  test('no status is a network error; an unusable 2xx is an invalid response', () => {
    expect(classifyError(new TypeError('fetch failed'), plain, NOW).kind).toBe('network')
    expect(classifyError(new InvalidResponseError('empty'), plain, NOW).kind).toBe(
      'invalid_response',
    )
  })
})

describe('which failures are retried and which trip the breaker', () => {
  test.each([408, 409, 429, 500, 502, 503, 529])('%i is retried', (s) => {
    expect(isRetryable(http(s))).toBe(true)
  })

  test.each([400, 401, 403, 404, 413, 422])('%i is not retried', (s) => {
    expect(isRetryable(http(s))).toBe(false)
  })

  test('network errors are retried; timeouts and aborts move on instead', () => {
    const e = (kind: AttemptError['kind']): AttemptError => ({ ...http(0), kind, status: null })
    expect(isRetryable(e('network'))).toBe(true)
    expect(isRetryable(e('timeout'))).toBe(false)
    expect(isRetryable(e('aborted'))).toBe(false)
    expect(isProviderFault(e('timeout'))).toBe(true)
    expect(isProviderFault(e('aborted'))).toBe(false)
  })

  test('a malformed request is not held against the provider, a bad key is', () => {
    expect(isProviderFault(http(400))).toBe(false)
    expect(isProviderFault(http(422))).toBe(false)
    expect(isProviderFault(http(401))).toBe(true)
    expect(isProviderFault(http(500))).toBe(true)
  })
})

describe('backoff', () => {
  const b = { baseMs: 100, maxMs: 1_000 }

  test('property: full jitter stays within [0, min(cap, base·2^n))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const d = backoffDelay(n, b, () => r)
          expect(d).toBeGreaterThanOrEqual(0)
          expect(d).toBeLessThan(Math.min(b.maxMs, b.baseMs * 2 ** n))
        },
      ),
    )
  })

  test('Retry-After is a floor over the jitter', () => {
    expect(retryDelay(http(429, 700), 0, b, () => 0)).toBe(700)
    expect(retryDelay(http(503, 10), 3, b, () => 0.5)).toBe(400)
  })

  test('a Retry-After beyond the cap moves on to the next provider', () => {
    expect(retryDelay(http(429, 30_000), 0, b, () => 0.5)).toBeNull()
  })

  test('non-retryable errors get no delay at all', () => {
    expect(retryDelay(http(401), 0, b, () => 0.5)).toBeNull()
  })
})
