/**
 * The one convention for the cloud's outbound calls (LLM providers, embeddings, ERP, webhooks):
 * every call carries a deadline. Plain `fetch` gets it through `fetchWithTimeout`; SDKs that take
 * an `AbortSignal` get `deadlineSignal(ms, callerSignal)`. The deadline covers the whole exchange,
 * body included, and a caller's abort still wins (it is reported as the caller's abort, not as a
 * timeout).
 */

/** Used when a caller has no better idea. Interactive paths should pass something shorter. */
export const DEFAULT_OUTBOUND_TIMEOUT_MS = 10_000

export class OutboundTimeoutError extends Error {
  readonly url: string
  readonly timeoutMs: number
  constructor(url: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`no answer from ${url} within ${timeoutMs} ms`, options)
    this.name = 'OutboundTimeoutError'
    this.url = url
    this.timeoutMs = timeoutMs
  }
}

/** A signal that aborts after `timeoutMs` or when `parent` aborts, whichever comes first. */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal | null): AbortSignal {
  const t = AbortSignal.timeout(timeoutMs)
  return parent ? AbortSignal.any([parent, t]) : t
}

export interface FetchWithTimeoutInit extends RequestInit {
  /** Deadline for the whole exchange, headers and body. */
  timeoutMs: number
  /** The fetch to use (tests inject one); global `fetch` by default. */
  fetch?: typeof fetch
}

/** The host of a URL, for errors and logs: query strings may hold keys, paths customer data. */
function hostOf(input: string | URL | Request): string {
  try {
    const u = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    )
    return u.host
  } catch {
    return 'the remote service'
  }
}

/**
 * `fetch` with a deadline. Throws `OutboundTimeoutError` when the deadline passes; the caller's
 * own abort surfaces as it would from `fetch`. Reading the body later stays under the deadline.
 */
export async function fetchWithTimeout(
  input: string | URL | Request,
  init: FetchWithTimeoutInit,
): Promise<Response> {
  const { timeoutMs, fetch: f = fetch, ...rest } = init
  const timer = AbortSignal.timeout(timeoutMs)
  const signal = rest.signal ? AbortSignal.any([rest.signal, timer]) : timer
  try {
    return await f(input, { ...rest, signal })
  } catch (err) {
    if (timer.aborted && !rest.signal?.aborted)
      throw new OutboundTimeoutError(hostOf(input), timeoutMs, { cause: err })
    throw err
  }
}
