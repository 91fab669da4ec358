/**
 * The one retry policy (STYLE.md): fail fast on 4xx except 408/429; back off on 5xx and
 * network errors with full jitter; honour Retry-After as a floor; sleeps are abortable.
 */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
  random?: () => number
}

export const defaultBackoff: BackoffOptions = { initialMs: 500, maxMs: 30_000 }

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, o: BackoffOptions = defaultBackoff, retryAfterMs = 0): number {
  const cap = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt, 20))
  return Math.max(retryAfterMs, Math.floor((o.random ?? Math.random)() * cap))
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (!header) return 0
  const s = Number(header)
  if (Number.isFinite(s)) return Math.max(0, s * 1000)
  const t = Date.parse(header)
  return Number.isNaN(t) ? 0 : Math.max(0, t - now)
}

export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/** Sleeps `ms`, resolving early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * `p`, or a rejection with the abort reason as soon as `signal` aborts: a stop must not wait
 * for work it no longer needs (a login to an unreachable cloud can take its full timeout).
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {})
    return Promise.reject(signal.reason as Error)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err as Error)
      },
    )
  })
}
