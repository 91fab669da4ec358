/**
 * Per-provider circuit breaker: pure state transitions, time passed in.
 *
 * ```
 *            N consecutive failures, or failure rate ≥ r
 *            over the last `windowSize` calls (≥ minCalls)
 *   ┌────────┐ ───────────────────────────────────────▶ ┌──────┐
 *   │ closed │                                          │ open │ ◀─┐
 *   └────────┘ ◀──┐                                     └──────┘   │
 *        ▲        │ trial succeeds           coolDownMs passed │   │ trial fails
 *        │        │                          (next acquire)    ▼   │
 *        │     ┌───────────┐ ◀─────────────────────────────────┘   │
 *        └──── │ half-open │ ──────────────────────────────────────┘
 *              └───────────┘   one trial call at a time; a trial that never
 *                              reports back is replaced after coolDownMs
 * ```
 */

/** Breaker tuning. */
export interface BreakerOptions {
  /** Open after this many failures in a row. */
  readonly failureThreshold: number
  /** Open when the failure rate over the recent window reaches this (0..1]. */
  readonly failureRate: number
  /** How many recent outcomes the rate looks at. */
  readonly windowSize: number
  /** The rate rule only applies once the window holds this many outcomes. */
  readonly minCalls: number
  /** How long to stay open before letting one trial call through. */
  readonly coolDownMs: number
}

/** Defaults: a provider that fails 5 times in a row, or half of 20 calls, rests for 30 s. */
export const defaultBreakerOptions: BreakerOptions = {
  failureThreshold: 5,
  failureRate: 0.5,
  windowSize: 20,
  minCalls: 10,
  coolDownMs: 30_000,
}

/** Breaker states. */
export const BreakerKind = { closed: 'closed', open: 'open', halfOpen: 'half-open' } as const
/** `closed` | `open` | `half-open`. */
export type BreakerKind = (typeof BreakerKind)[keyof typeof BreakerKind]

/** Immutable breaker state. `recent` holds the last outcomes, `true` = failure. */
export type BreakerState =
  | {
      readonly kind: 'closed'
      readonly consecutiveFailures: number
      readonly recent: readonly boolean[]
    }
  | { readonly kind: 'open'; readonly openedAt: number }
  | { readonly kind: 'half-open'; readonly trialStartedAt: number | null }

/** A fresh, closed breaker. */
export function initialBreakerState(): BreakerState {
  return { kind: 'closed', consecutiveFailures: 0, recent: [] }
}

/**
 * Ask to make a call. Returns whether it may proceed and the next state (an open breaker whose
 * cool-down has passed turns half-open and hands out its single trial).
 */
export function acquire(
  state: BreakerState,
  opts: BreakerOptions,
  now: number,
): { readonly allowed: boolean; readonly state: BreakerState } {
  switch (state.kind) {
    case 'closed':
      return { allowed: true, state }
    case 'open':
      if (now - state.openedAt < opts.coolDownMs) return { allowed: false, state }
      return { allowed: true, state: { kind: 'half-open', trialStartedAt: now } }
    case 'half-open':
      // A trial whose caller vanished must not wedge the breaker half-open forever.
      if (state.trialStartedAt === null || now - state.trialStartedAt >= opts.coolDownMs) {
        return { allowed: true, state: { kind: 'half-open', trialStartedAt: now } }
      }
      return { allowed: false, state }
  }
}

/** Report a successful call. */
export function onSuccess(state: BreakerState, opts: BreakerOptions): BreakerState {
  switch (state.kind) {
    case 'closed':
      return { kind: 'closed', consecutiveFailures: 0, recent: push(state.recent, false, opts) }
    case 'half-open':
      return initialBreakerState()
    case 'open':
      // A call admitted before the breaker opened finished late; it does not re-close it.
      return state
  }
}

/** Report a failed call (one that says the provider is unhealthy). */
export function onFailure(state: BreakerState, opts: BreakerOptions, now: number): BreakerState {
  switch (state.kind) {
    case 'closed': {
      const consecutiveFailures = state.consecutiveFailures + 1
      const recent = push(state.recent, true, opts)
      const failures = recent.filter(Boolean).length
      const rateTripped =
        recent.length >= opts.minCalls && failures / recent.length >= opts.failureRate
      if (consecutiveFailures >= opts.failureThreshold || rateTripped) {
        return { kind: 'open', openedAt: now }
      }
      return { kind: 'closed', consecutiveFailures, recent }
    }
    case 'half-open':
      return { kind: 'open', openedAt: now }
    case 'open':
      return state
  }
}

/**
 * Report a call that ended with no verdict on the provider (the caller aborted): a half-open
 * breaker frees its trial slot so the next call can be the trial.
 */
export function release(state: BreakerState): BreakerState {
  return state.kind === 'half-open' ? { kind: 'half-open', trialStartedAt: null } : state
}

/**
 * The state as an observer at `now` would describe it: an open breaker past its cool-down
 * reports `half-open`, since the next call will be let through as a trial.
 */
export function breakerKindAt(state: BreakerState, opts: BreakerOptions, now: number): BreakerKind {
  if (state.kind === 'open' && now - state.openedAt >= opts.coolDownMs) return 'half-open'
  return state.kind
}

function push(recent: readonly boolean[], failed: boolean, opts: BreakerOptions): boolean[] {
  const next = recent.slice(Math.max(0, recent.length - opts.windowSize + 1))
  next.push(failed)
  return next
}
