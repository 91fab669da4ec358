import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  acquire,
  breakerKindAt,
  defaultBreakerOptions,
  initialBreakerState,
  onFailure,
  onSuccess,
  release,
  type BreakerOptions,
  type BreakerState,
} from './breaker.ts'

const opts: BreakerOptions = {
  failureThreshold: 3,
  failureRate: 0.5,
  windowSize: 10,
  minCalls: 6,
  coolDownMs: 1_000,
}

const fail = (s: BreakerState, times: number, now = 0): BreakerState => {
  for (let i = 0; i < times; i++) s = onFailure(s, opts, now)
  return s
}

describe('closed', () => {
  test('a fresh breaker is closed and lets calls through', () => {
    const s = initialBreakerState()
    expect(acquire(s, opts, 0)).toEqual({ allowed: true, state: s })
  })

  test('stays closed below the consecutive-failure threshold', () => {
    const s = fail(initialBreakerState(), 2)
    expect(s).toMatchObject({ kind: 'closed', consecutiveFailures: 2 })
  })

  test('opens after N consecutive failures', () => {
    expect(fail(initialBreakerState(), 3, 42)).toEqual({ kind: 'open', openedAt: 42 })
  })

  test('a success resets the consecutive count', () => {
    let s = fail(initialBreakerState(), 2)
    s = onSuccess(s, opts)
    s = fail(s, 2)
    expect(s).toMatchObject({ kind: 'closed', consecutiveFailures: 2 })
  })

  test('opens when the failure rate over the window reaches the threshold', () => {
    // Alternating outcomes never make 3 in a row, but 3 of 6 is a 50% failure rate.
    let s = initialBreakerState()
    for (let i = 0; i < 2; i++) s = onSuccess(fail(s, 1), opts)
    expect(s.kind).toBe('closed')
    s = onSuccess(s, opts)
    s = fail(s, 1, 7)
    expect(s).toEqual({ kind: 'open', openedAt: 7 })
  })

  test('the rate rule waits for minCalls outcomes', () => {
    let s = onSuccess(fail(initialBreakerState(), 2), opts)
    s = fail(s, 1)
    // 3 of 4 failed, but 4 < minCalls.
    expect(s.kind).toBe('closed')
  })

  test('the window forgets outcomes older than windowSize', () => {
    let s = fail(initialBreakerState(), 2)
    for (let i = 0; i < 10; i++) s = onSuccess(s, opts)
    expect(s).toMatchObject({ kind: 'closed', recent: Array(10).fill(false) })
  })
})

describe('open', () => {
  const open: BreakerState = { kind: 'open', openedAt: 100 }

  test('rejects calls during the cool-down', () => {
    expect(acquire(open, opts, 1_099)).toEqual({ allowed: false, state: open })
    expect(breakerKindAt(open, opts, 1_099)).toBe('open')
  })

  test('after the cool-down, one trial call goes through and it turns half-open', () => {
    expect(breakerKindAt(open, opts, 1_100)).toBe('half-open')
    expect(acquire(open, opts, 1_100)).toEqual({
      allowed: true,
      state: { kind: 'half-open', trialStartedAt: 1_100 },
    })
  })

  test('late results of calls admitted before opening change nothing', () => {
    expect(onSuccess(open, opts)).toBe(open)
    expect(onFailure(open, opts, 500)).toBe(open)
  })
})

describe('half-open', () => {
  const trial: BreakerState = { kind: 'half-open', trialStartedAt: 2_000 }

  test('only one trial at a time', () => {
    expect(acquire(trial, opts, 2_500).allowed).toBe(false)
  })

  test('closes when the trial succeeds', () => {
    expect(onSuccess(trial, opts)).toEqual(initialBreakerState())
  })

  test('reopens with a new cool-down when the trial fails', () => {
    expect(onFailure(trial, opts, 2_300)).toEqual({ kind: 'open', openedAt: 2_300 })
  })

  test('a trial that never reports back is replaced after the cool-down', () => {
    expect(acquire(trial, opts, 3_000)).toEqual({
      allowed: true,
      state: { kind: 'half-open', trialStartedAt: 3_000 },
    })
  })

  test('a released trial (caller aborted) frees the slot at once', () => {
    const freed = release(trial)
    expect(acquire(freed, opts, 2_001).allowed).toBe(true)
    expect(release(initialBreakerState())).toEqual(initialBreakerState())
  })
})

test('defaults are sane', () => {
  const d = defaultBreakerOptions
  expect(d.minCalls).toBeLessThanOrEqual(d.windowSize)
  expect(d.failureRate).toBeGreaterThan(0)
  expect(d.failureRate).toBeLessThanOrEqual(1)
})

test('property: however outcomes interleave, an open breaker admits at most one call per cool-down', () => {
  const step = fc.oneof(
    fc.record({ op: fc.constant('acquire' as const), dt: fc.integer({ min: 0, max: 600 }) }),
    fc.record({ op: fc.constantFrom('ok' as const, 'fail' as const), dt: fc.constant(0) }),
  )
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      let s = initialBreakerState()
      let now = 0
      let admittedWhileNotClosed: number[] = []
      for (const { op, dt } of steps) {
        now += dt
        if (op === 'acquire') {
          const wasClosed = s.kind === 'closed'
          const r = acquire(s, opts, now)
          s = r.state
          if (r.allowed && !wasClosed) admittedWhileNotClosed.push(now)
        } else {
          s = op === 'ok' ? onSuccess(s, opts) : onFailure(s, opts, now)
          if (s.kind === 'closed') admittedWhileNotClosed = []
        }
        const last = admittedWhileNotClosed.slice(-2)
        if (last.length === 2) expect(last[1]! - last[0]!).toBeGreaterThanOrEqual(opts.coolDownMs)
      }
    }),
  )
})
