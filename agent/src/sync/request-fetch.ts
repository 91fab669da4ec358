/**
 * `fetch` for the shape streams, over undici's `request` API instead of its `fetch`.
 *
 * Every change the cloud sends wakes a long-poll: one response read, one request sent, per
 * shape, per change — the agent's hottest network path. Node's global `fetch` is undici too,
 * but the WHATWG layer on top (a Request object and its AbortSignal per call, the fetch
 * controller, a web stream for every body) costs about as much as the exchange itself: in the
 * sync bench, 50 agents' bare shape streams took 12–23 % less CPU over this function than over
 * `fetch`, whole agents 3–6 % (p99 155–182 ms instead of 210–228), at the same throughput.
 * The Electric client reads the whole body of every response anyway (and builds its own
 * Response from the text), so nothing here streams.
 *
 * It behaves as `fetch` does where the client and our wrapper look: status, headers (repeated
 * ones kept, as fetch keeps them), body (none for 204, 205, 304 and HEAD), redirects followed,
 * a network failure rejects with `TypeError('fetch failed')` carrying the cause, and an aborted
 * signal rejects with its reason (an `AbortError` when it has none), also while the body is
 * still being read. Bodies sent are strings or bytes (all the agent sends). Unlike `fetch`, a
 * response that does not start within a minute fails the request (see RequestFetchOptions).
 */
import type { Dispatcher } from 'undici'
// Three parts of undici, not its index: the index loads the whole library (its fetch, web
// sockets, caches, mocks), ~10 MB of the agent's RSS for nothing it uses (bench/agent-footprint).
import Agent from 'undici/lib/dispatcher/agent.js'
import request from 'undici/lib/api/api-request.js'
import redirect from 'undici/lib/interceptor/redirect.js'

export interface RequestFetchOptions {
  /**
   * How long a response may take to start (default 60 s). The cloud answers a long poll within
   * 20 s (at most 40, KEFU_LONG_POLL_MS), so a connection silent for longer is dead (a partition
   * that sent no reset): the request fails and the client retries, within a minute rather than
   * undici's default five.
   */
  headersTimeoutMs?: number
  /** The longest silence while a body arrives (default 60 s). */
  bodyTimeoutMs?: number
}

const NO_BODY = new Set([204, 205, 304])

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

function plainHeaders(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (init) for (const [k, v] of new Headers(init)) out[k] = v
  return out
}

/** A fetch over its own keep-alive pool (one per process is plenty: `requestFetch`). */
export function createRequestFetch(o: RequestFetchOptions = {}): typeof fetch {
  let pool: Dispatcher | null = null
  const dispatcher = () =>
    (pool ??= new Agent({
      headersTimeout: o.headersTimeoutMs ?? 60_000,
      bodyTimeout: o.bodyTimeoutMs ?? 60_000,
    }).compose(redirect({ maxRedirections: 20 })))
  return (input, init) => requestOnce(dispatcher(), input, init)
}

/** The shape streams' fetch: one keep-alive pool per process, as `fetch` shares its global one. */
export const requestFetch: typeof fetch = createRequestFetch()

async function requestOnce(
  dispatcher: Dispatcher,
  input: Parameters<typeof fetch>[0],
  init: Parameters<typeof fetch>[1],
): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input)
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
  const signal = init?.signal ?? undefined
  if (signal?.aborted) throw abortReason(signal)
  const body = init?.body
  if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new TypeError('requestFetch sends only string or Uint8Array bodies')
  let res: Dispatcher.ResponseData
  try {
    const { origin, pathname, search } = new URL(url)
    res = await request.call(dispatcher, {
      origin,
      path: pathname + search,
      method: method as Dispatcher.HttpMethod,
      headers: plainHeaders(
        init?.headers ?? (input instanceof Request ? input.headers : undefined),
      ),
      body: body ?? null,
      ...(signal ? { signal } : {}),
    })
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal)
    throw new TypeError('fetch failed', { cause: err })
  }
  let content: ArrayBuffer | null = null
  try {
    if (NO_BODY.has(res.statusCode) || method === 'HEAD') await res.body.dump()
    else content = await res.body.arrayBuffer()
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal)
    throw new TypeError('fetch failed', { cause: err })
  }
  const headers = new Headers()
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one)
  }
  return new Response(content, { status: res.statusCode, headers })
}
