/**
 * The gateway's one retry policy: what an error means, whether to retry the same provider, and
 * how long to wait. Fail fast on 4xx except 408/409/429; back off on 5xx and network errors
 * with full jitter; honour `Retry-After` as a floor; never wait past the cap.
 */

/** What went wrong with one attempt. */
export const ErrorKind = {
  http: 'http',
  timeout: 'timeout',
  network: 'network',
  aborted: 'aborted',
  invalidResponse: 'invalid_response',
} as const
/** One of {@link ErrorKind}. */
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind]

/** A classified attempt failure. `message` may quote the provider; keep it out of info logs. */
export interface AttemptError {
  readonly kind: ErrorKind
  readonly status: number | null
  /** Server-requested wait before retrying, already resolved to ms. */
  readonly retryAfterMs: number | null
  readonly message: string
}

/** Backoff tuning: full jitter over `baseMs · 2^retry`, capped at `maxMs`. */
export interface BackoffOptions {
  readonly baseMs: number
  readonly maxMs: number
}

/** Defaults sized for a chat reply: short waits, since a fallback provider is usually ready. */
export const defaultBackoff: BackoffOptions = { baseMs: 200, maxMs: 2_000 }

/** A provider answered 2xx with something that is not a usable completion. */
export class InvalidResponseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidResponseError'
  }
}

/** How an attempt ended, as seen by the code that ran it. */
export interface AttemptEnd {
  readonly timedOut: boolean
  readonly callerAborted: boolean
}

/**
 * Classify an error thrown by either SDK. Both SDKs' `APIError` carry `status` and `headers`;
 * connection errors carry no status. Our own abort flags win, since an SDK reports both
 * a timeout and a caller abort as a user abort.
 */
export function classifyError(err: unknown, end: AttemptEnd, nowMs: number): AttemptError {
  const message = err instanceof Error ? err.message : String(err)
  if (end.callerAborted) return { kind: 'aborted', status: null, retryAfterMs: null, message }
  if (end.timedOut) return { kind: 'timeout', status: null, retryAfterMs: null, message }
  if (err instanceof InvalidResponseError) {
    return { kind: 'invalid_response', status: null, retryAfterMs: null, message }
  }
  const e = err as { status?: unknown; headers?: unknown } | null
  if (e !== null && typeof e === 'object' && typeof e.status === 'number') {
    const retryAfterMs = isHeaders(e.headers) ? retryAfterFromHeaders(e.headers, nowMs) : null
    return { kind: 'http', status: e.status, retryAfterMs, message }
  }
  return { kind: 'network', status: null, retryAfterMs: null, message }
}

/** Retry on the same provider? 408/409/429, 5xx and network errors only. */
export function isRetryable(e: AttemptError): boolean {
  if (e.kind === 'network') return true
  if (e.kind !== 'http' || e.status === null) return false
  return e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500
}

/**
 * Does this failure count against the provider's breaker? A malformed request (400, 413, 422)
 * is our fault and a caller abort says nothing; bad keys (401/403) and unknown models (404)
 * do count, since the provider is unusable until someone fixes its config.
 */
export function isProviderFault(e: AttemptError): boolean {
  if (e.kind === 'aborted') return false
  if (e.kind === 'http') return !(e.status === 400 || e.status === 413 || e.status === 422)
  return true
}

/** Full-jitter exponential backoff for retry number `retry` (0-based). */
export function backoffDelay(retry: number, opts: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** retry)
  return Math.floor(random() * ceiling)
}

/**
 * Wait before retry `retry` of the same provider, or `null` to move on to the next provider:
 * when a server asks for longer than the cap, waiting less would disobey it and waiting the
 * full time would stall the reply, so the fallback gets the call.
 */
export function retryDelay(
  e: AttemptError,
  retry: number,
  opts: BackoffOptions,
  random: () => number,
): number | null {
  if (!isRetryable(e)) return null
  const jitter = backoffDelay(retry, opts, random)
  if (e.retryAfterMs === null) return jitter
  if (e.retryAfterMs > opts.maxMs) return null
  return Math.max(e.retryAfterMs, jitter)
}

/**
 * Parse a `Retry-After` value (delta-seconds or an HTTP date) to ms from `nowMs`;
 * `null` when absent or unparseable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null
  const v = value.trim()
  if (v === '') return null
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  // An HTTP date names its day and month; this keeps Date.parse from reading '-1' as a year.
  if (!/[a-z]/i.test(v)) return null
  const at = Date.parse(v)
  if (Number.isNaN(at)) return null
  return Math.max(0, at - nowMs)
}

function retryAfterFromHeaders(headers: Headers, nowMs: number): number | null {
  // OpenAI sends the finer-grained `retry-after-ms` alongside `retry-after`.
  const ms = headers.get('retry-after-ms')
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms))
  return parseRetryAfter(headers.get('retry-after'), nowMs)
}

function isHeaders(v: unknown): v is Headers {
  return typeof v === 'object' && v !== null && typeof (v as Headers).get === 'function'
}
