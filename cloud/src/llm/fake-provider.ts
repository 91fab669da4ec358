/**
 * A local fake LLM provider that speaks the real wire protocols, so the real `openai` and
 * `@anthropic-ai/sdk` clients run against it unchanged: OpenAI chat completions (plain and SSE,
 * with the `include_usage` chunk), OpenAI embeddings, and Anthropic messages (plain and SSE with
 * the real event sequence).
 *
 * Several "providers" share one server by path prefix: `/p/<name>/v1/...` is provider `<name>`
 * and the bare `/v1/...` is provider `default`. Each has its own controls and counters. It
 * answers instantly unless told otherwise; the pipeline benchmark relies on that.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import type { Wire } from './providers.ts'
import {
  anthropicError,
  anthropicMessage,
  anthropicSse,
  countTokens,
  embeddingsResponse,
  openaiChat,
  openaiError,
  openaiSse,
  type FakeRequest,
} from './fake-wire.ts'

export type { FakeRequest } from './fake-wire.ts'

/** A fixed reply, or one computed from the parsed request. */
export type FakeAnswer = string | ((req: FakeRequest) => string)

/** Requests a fake provider has received, by endpoint. */
export interface FakeCounts {
  readonly total: number
  readonly chat: number
  readonly embeddings: number
  readonly messages: number
}

/** Remote control of one fake provider. */
export interface FakeProviderControl {
  /** What to reply from now on. */
  answer(a: FakeAnswer): void
  /** Answer the next `times` requests (default: all) with `status`. */
  fail(status: number, opts?: { retryAfter?: number | string; times?: number }): void
  /** Hold the next `times` requests (default: all) for `ms`, or until the client gives up. */
  stall(ms: number | 'forever', opts?: { times?: number }): void
  /**
   * Stream replies one SSE event every `msPerEvent`; with `stallAfter`, go silent (connection
   * open) after that many events, like a provider that hangs mid-answer.
   */
  pace(msPerEvent: number, opts?: { stallAfter?: number }): void
  /** Allow `n` requests per window (default 1 s); the rest get 429 with `Retry-After`. */
  rateLimit(n: number, opts?: { windowMs?: number; retryAfter?: number }): void
  /** Back to instant default answers; counters cleared. */
  reset(): void
  /** Requests received so far (failed and stalled ones included). */
  readonly requests: FakeCounts
  readonly lastRequest: FakeRequest | null
}

/** A running fake provider server. */
export interface FakeProviderServer {
  readonly url: string
  control(name?: string): FakeProviderControl
  /** The `baseURL` an SDK needs to reach provider `name` on `wire`. */
  baseURL(name: string, wire: Wire): string
  close(): Promise<void>
}

interface Rule {
  remaining: number
}

interface State {
  answer: FakeAnswer
  fail: (Rule & { status: number; retryAfter: number | string | null }) | null
  stall: (Rule & { ms: number | 'forever' }) | null
  limit: { n: number; windowMs: number; retryAfter: number; hits: number[] } | null
  pace: { ms: number; stallAfter: number } | null
  counts: { total: number; chat: number; embeddings: number; messages: number }
  last: FakeRequest | null
}

const fresh = (name: string): State => ({
  answer: `fake reply from ${name}`,
  fail: null,
  stall: null,
  limit: null,
  pace: null,
  counts: { total: 0, chat: 0, embeddings: 0, messages: 0 },
  last: null,
})

/** Start the fake on a free port of 127.0.0.1. */
export async function startFakeProvider(
  opts: { now?: () => number } = {},
): Promise<FakeProviderServer> {
  const now = opts.now ?? Date.now
  const states = new Map<string, State>()
  const waiters = new Set<() => void>()
  const stateOf = (name: string): State => {
    let s = states.get(name)
    if (s === undefined) states.set(name, (s = fresh(name)))
    return s
  }

  // Event-by-event body; a stalled one stays open until the client leaves or the server closes.
  const paced = (
    events: string[],
    pace: { ms: number; stallAfter: number },
    signal: AbortSignal,
  ) => {
    const encoder = new TextEncoder()
    return new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          for (const [i, event] of events.entries()) {
            if (i >= pace.stallAfter) {
              await hold('forever', signal)
              break
            }
            if (i > 0) await hold(pace.ms, signal)
            if (signal.aborted) break
            controller.enqueue(encoder.encode(event))
          }
          controller.close()
        } catch {
          // The client cancelled the body; there is no one left to tell.
        }
      },
    })
  }

  const hold = (ms: number | 'forever', signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        if (timer !== undefined) clearTimeout(timer)
        waiters.delete(done)
        resolve()
      }
      const timer = ms === 'forever' ? undefined : setTimeout(done, ms)
      waiters.add(done)
      signal.addEventListener('abort', done, { once: true })
    })

  type Endpoint = 'chat' | 'embeddings' | 'messages'
  const handle = async (c: Context, endpoint: Endpoint): Promise<Response> => {
    const wire: Wire = endpoint === 'messages' ? 'anthropic' : 'openai'
    const error = wire === 'anthropic' ? anthropicError : openaiError
    const s = stateOf(c.req.param('name') ?? 'default')
    s.counts.total++
    s.counts[endpoint]++
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null
    if (s.stall && s.stall.remaining > 0) {
      s.stall.remaining--
      await hold(s.stall.ms, c.req.raw.signal)
    }
    if (s.fail && s.fail.remaining > 0) {
      s.fail.remaining--
      const headers: Record<string, string> = {}
      if (s.fail.retryAfter !== null) headers['retry-after'] = String(s.fail.retryAfter)
      return error(s.fail.status, 'injected failure', headers)
    }
    if (s.limit) {
      const t = now()
      const limit = s.limit
      limit.hits = limit.hits.filter((h) => t - h < limit.windowMs)
      if (limit.hits.length >= limit.n) {
        return error(429, 'rate limited', { 'retry-after': String(limit.retryAfter) })
      }
      limit.hits.push(t)
    }
    if (!c.req.header('authorization') && !c.req.header('x-api-key')) {
      return error(401, 'missing api key', {})
    }
    if (body === null || typeof body.model !== 'string') {
      return error(400, 'body must be JSON with a model', {})
    }
    if (endpoint === 'embeddings') return Response.json(embeddingsResponse(body))
    const req = parseChat(wire, body)
    s.last = req
    const text = typeof s.answer === 'string' ? s.answer : s.answer(req)
    const usage = { input: req.inputTokens, output: countTokens(text) }
    if (!req.stream) {
      return Response.json(
        wire === 'openai' ? openaiChat(req, text, usage) : anthropicMessage(req, text, usage),
      )
    }
    const events = wire === 'openai' ? openaiSse(req, text, usage) : anthropicSse(req, text, usage)
    const sse = s.pace ? paced(events, s.pace, c.req.raw.signal) : events.join('')
    return new Response(sse, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  }

  const app = new Hono()
  for (const prefix of ['/p/:name', '']) {
    app.post(`${prefix}/v1/chat/completions`, (c) => handle(c, 'chat'))
    app.post(`${prefix}/v1/embeddings`, (c) => handle(c, 'embeddings'))
    app.post(`${prefix}/v1/messages`, (c) => handle(c, 'messages'))
  }

  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve) => {
    const srv = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ server: srv as Server, port: info.port }),
    )
  })
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    baseURL: (name, wire) => `${url}/p/${name}${wire === 'openai' ? '/v1' : ''}`,
    control(name = 'default') {
      const s = () => stateOf(name)
      return {
        answer: (a) => void (s().answer = a),
        fail: (status, o = {}) =>
          void (s().fail = {
            status,
            retryAfter: o.retryAfter ?? null,
            remaining: o.times ?? Infinity,
          }),
        stall: (ms, o = {}) => void (s().stall = { ms, remaining: o.times ?? Infinity }),
        pace: (ms, o = {}) => void (s().pace = { ms, stallAfter: o.stallAfter ?? Infinity }),
        rateLimit: (n, o = {}) =>
          void (s().limit = {
            n,
            windowMs: o.windowMs ?? 1_000,
            retryAfter: o.retryAfter ?? 1,
            hits: [],
          }),
        reset: () => void states.set(name, fresh(name)),
        get requests() {
          return { ...s().counts }
        },
        get lastRequest() {
          return s().last
        },
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const release of [...waiters]) release()
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}

function parseChat(wire: Wire, body: Record<string, unknown>): FakeRequest {
  const raw = Array.isArray(body.messages)
    ? (body.messages as { role: string; content: unknown }[])
    : []
  const text = (c: unknown): string =>
    typeof c === 'string'
      ? c
      : Array.isArray(c)
        ? c.map((p: { text?: unknown }) => (typeof p.text === 'string' ? p.text : '')).join('')
        : ''
  const system =
    wire === 'anthropic'
      ? text(body.system)
      : raw
          .filter((m) => m.role === 'system')
          .map((m) => text(m.content))
          .join('\n')
  const messages = raw
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role as 'user' | 'assistant', content: text(m.content) }))
  const all = [system, ...messages.map((m) => m.content)].join('')
  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined
  return {
    wire,
    model: String(body.model),
    system,
    messages,
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    inputTokens: countTokens(all),
    body,
  }
}
