/**
 * An embedder for any OpenAI-compatible `/embeddings` endpoint (OpenAI, DashScope's
 * compatible mode, Zhipu, Doubao Ark, a local vLLM or Ollama…). Asks for 384 dimensions; a
 * provider that ignores `dimensions` gets its vectors truncated (right for Matryoshka models)
 * or projected, then normalised. Retries follow the gateway's one policy
 * (../llm/retry-policy.ts): fail fast on 4xx except 408/409/429, back off on 5xx and network
 * errors, honour `Retry-After`.
 */
import { z } from 'zod'
import {
  retryDelay,
  parseRetryAfter,
  defaultBackoff,
  type AttemptError,
} from '../llm/retry-policy.ts'
import type { BackoffOptions } from '../llm/retry-policy.ts'
import { EMBEDDING_DIMS, fitDims, type Embedder } from './embedder.ts'

/** Options for {@link createOpenAiCompatibleEmbedder}. */
export interface OpenAiEmbedderOptions {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  readonly baseURL: string
  readonly model: string
  readonly apiKey?: string
  /** Texts per request; default 64. */
  readonly batchSize?: number
  /** Send `dimensions: 384`; default true (turn off for providers that reject it). */
  readonly sendDimensions?: boolean
  /** How to fit vectors that come back wider than 384; default `truncate`. */
  readonly fit?: 'truncate' | 'project'
  /** Per-request timeout; default 30 s. */
  readonly timeoutMs?: number
  /** Retries of one request after the first attempt; default 3. */
  readonly maxRetries?: number
  readonly backoff?: BackoffOptions
  readonly fetch?: typeof fetch
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  readonly random?: () => number
  readonly now?: () => number
}

/** The endpoint failed for good (after retries, or at once for a non-retryable status). */
export class EmbeddingRequestError extends Error {
  readonly status: number | null
  readonly kind: AttemptError['kind']
  constructor(e: AttemptError, options?: ErrorOptions) {
    super(`embedding request failed (${e.status ?? e.kind}): ${e.message}`, options)
    this.name = 'EmbeddingRequestError'
    this.status = e.status
    this.kind = e.kind
  }
}

const EmbeddingsResponse = z.object({
  data: z.array(
    z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) }),
  ),
})

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), {
      once: true,
    })
  })

/** Creates the HTTP embedder; no request is made until `embed` is called. */
export function createOpenAiCompatibleEmbedder(opts: OpenAiEmbedderOptions): Embedder {
  const doFetch = opts.fetch ?? fetch
  const sleep = opts.sleep ?? defaultSleep
  const random = opts.random ?? Math.random
  const now = opts.now ?? Date.now
  const url = `${opts.baseURL.replace(/\/+$/, '')}/embeddings`
  const batchSize = opts.batchSize ?? 64
  const maxRetries = opts.maxRetries ?? 3

  async function attempt(input: string[], signal?: AbortSignal): Promise<number[][]> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000)
    const res = await doFetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: opts.model,
        input,
        encoding_format: 'float',
        ...(opts.sendDimensions === false ? {} : { dimensions: EMBEDDING_DIMS }),
      }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    })
    if (!res.ok) {
      const body = await res.text().catch(() => '')
      throw new AttemptFailure({
        kind: 'http',
        status: res.status,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()),
        message: body.slice(0, 300),
      })
    }
    const parsed = EmbeddingsResponse.safeParse(await res.json())
    if (!parsed.success || parsed.data.data.length !== input.length) {
      throw new AttemptFailure({
        kind: 'invalid_response',
        status: null,
        retryAfterMs: null,
        message: parsed.success ? 'wrong number of embeddings' : parsed.error.message,
      })
    }
    return [...parsed.data.data]
      .sort((a, b) => a.index - b.index)
      .map((d) => fitDims(d.embedding, EMBEDDING_DIMS, opts.fit ?? 'truncate'))
  }

  async function request(input: string[], signal?: AbortSignal): Promise<number[][]> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(input, signal)
      } catch (err) {
        if (signal?.aborted) throw err
        const e = toAttemptError(err)
        const wait =
          retry < maxRetries ? retryDelay(e, retry, opts.backoff ?? defaultBackoff, random) : null
        if (wait === null) throw new EmbeddingRequestError(e, { cause: err })
        await sleep(wait, signal)
      }
    }
  }

  return {
    id: `openai-compatible:${opts.model}`,
    dims: EMBEDDING_DIMS,
    async embed(texts, o = {}) {
      const out: number[][] = texts.map(() => new Array<number>(EMBEDDING_DIMS).fill(0))
      // Providers reject empty strings; those keep their zero vector.
      const live = texts.map((t, i) => ({ t: t.trim(), i })).filter((x) => x.t !== '')
      for (let b = 0; b < live.length; b += batchSize) {
        const batch = live.slice(b, b + batchSize)
        const vecs = await request(
          batch.map((x) => x.t),
          o.signal,
        )
        batch.forEach((x, k) => (out[x.i] = vecs[k]!))
      }
      return out
    },
  }
}

/** One attempt's classified failure, thrown inside the retry loop only. */
class AttemptFailure extends Error {
  readonly attempt: AttemptError
  constructor(attempt: AttemptError) {
    super(attempt.message)
    this.name = 'AttemptFailure'
    this.attempt = attempt
  }
}

function toAttemptError(err: unknown): AttemptError {
  if (err instanceof AttemptFailure) return err.attempt
  const timedOut = err instanceof DOMException && err.name === 'TimeoutError'
  const message = err instanceof Error ? err.message : String(err)
  return { kind: timedOut ? 'timeout' : 'network', status: null, retryAfterMs: null, message }
}
