/**
 * The LLM gateway: primary + fallbacks, per-call timeouts, retries with backoff, a breaker per
 * provider, streaming, and one `llm_calls` record per attempt.
 *
 * Providers are tried in order. Within a provider a retryable failure (5xx, 408/409/429,
 * network) is retried after a full-jitter backoff that honours `Retry-After`; anything else
 * (a timeout, a non-retryable 4xx, a wait longer than the cap) moves on to the next provider.
 * Providers whose breaker is open are skipped without a call. Expected failures come back as
 * `{ ok: false, errors }`; only caller bugs throw.
 */
import type { Logger } from 'pino'
import {
  acquire,
  breakerKindAt,
  defaultBreakerOptions,
  initialBreakerState,
  type BreakerKind,
  type BreakerOptions,
} from './breaker.ts'
import { runAttempt, type ProviderEntry } from './attempt.ts'
import { PROVIDERS, isProviderId, type Price, type ProviderId } from './providers.ts'
import { defaultBackoff, retryDelay, type BackoffOptions } from './retry-policy.ts'
import type {
  DeltaHandler,
  LlmAttemptError,
  LlmCallRecord,
  LlmRequest,
  LlmResult,
} from './types.ts'
import { createWireClient } from './wire-clients.ts'

/** One configured provider; the list order is primary first, then fallbacks. */
export interface GatewayProviderConfig {
  readonly id: ProviderId
  readonly apiKey: string
  readonly baseURL?: string
  readonly model?: string
  /** Per-attempt timeout; for streams, the longest silence between events. */
  readonly timeoutMs?: number
  /** Overrides the list price in `PROVIDERS`. */
  readonly price?: Price
}

/** Per-attempt timing the gateway reports when asked (see `measureGatewayOverhead`). */
export interface GatewayTrace {
  /** Wall time of the whole `complete`/`stream` call. */
  readonly totalMs: number
  /** Time spent awaiting SDK calls (network included) and backoff sleeps. */
  readonly awaitedMs: number
}

/** Options of {@link createLlmGateway}. */
export interface LlmGatewayOptions {
  readonly providers: readonly GatewayProviderConfig[]
  /** Extra attempts on the same provider after a retryable failure. */
  readonly retries?: number
  readonly backoff?: Partial<BackoffOptions>
  readonly breaker?: Partial<BreakerOptions>
  /** Deadline for a whole request across providers, retries and backoff. */
  readonly budgetMs?: number
  /** Receives one record per attempt; called off the critical path, failures are logged. */
  readonly record: (call: LlmCallRecord) => Promise<void>
  readonly logger: Logger
  /** Milliseconds, wall-clock based (Retry-After dates are compared with it). */
  readonly now?: () => number
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  readonly random?: () => number
  /** Handed to both SDKs. */
  readonly fetch?: typeof fetch
  /** Diagnostic hook, called once per request with where its time went. */
  readonly onTrace?: (trace: GatewayTrace) => void
}

/** Defaults for options left out. */
export const defaultGatewayOptions = {
  retries: 1,
  timeoutMs: 10_000,
  budgetMs: 30_000,
} as const

/** Breaker view of one provider, for `/api/v1/health`. */
export interface ProviderStatus {
  readonly provider: ProviderId
  readonly model: string
  readonly state: BreakerKind
  readonly consecutiveFailures: number
}

/** The gateway's public face. */
export interface LlmGateway {
  /** Ask for a whole reply. */
  complete(req: LlmRequest): Promise<LlmResult>
  /** Ask for a reply streamed to `onDelta`; resolves like `complete` once the stream ends. */
  stream(req: LlmRequest, onDelta: DeltaHandler): Promise<LlmResult>
  /** Breaker state per configured provider, in priority order. */
  status(): readonly ProviderStatus[]
  /** Wait until every `record` call handed out so far has settled (for shutdown and tests). */
  drain(): Promise<void>
}

/** High-resolution wall clock: sub-millisecond latency, still comparable with HTTP dates. */
const hrNow = (): number => performance.timeOrigin + performance.now()

/** Sleep that rejects when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Build a gateway. Throws on a config error (unknown or repeated provider id). */
export function createLlmGateway(opts: LlmGatewayOptions): LlmGateway {
  const log = opts.logger.child({ component: 'llm-gateway' })
  const now = opts.now ?? hrNow
  const sleep = opts.sleep ?? abortableSleep
  const random = opts.random ?? Math.random
  const retries = opts.retries ?? defaultGatewayOptions.retries
  const budgetMs = opts.budgetMs ?? defaultGatewayOptions.budgetMs
  const backoff: BackoffOptions = { ...defaultBackoff, ...opts.backoff }
  const breakerOpts: BreakerOptions = { ...defaultBreakerOptions, ...opts.breaker }
  const pending = new Set<Promise<void>>()

  const seen = new Set<ProviderId>()
  const entries: ProviderEntry[] = opts.providers.map((p) => {
    if (!isProviderId(p.id)) throw new Error(`unknown LLM provider id: ${String(p.id)}`)
    if (seen.has(p.id)) throw new Error(`LLM provider configured twice: ${p.id}`)
    seen.add(p.id)
    const spec = PROVIDERS[p.id]
    const timeoutMs = p.timeoutMs ?? defaultGatewayOptions.timeoutMs
    return {
      id: p.id,
      model: p.model ?? spec.model,
      price: p.price ?? spec.price,
      timeoutMs,
      breaker: initialBreakerState(),
      client: createWireClient({
        wire: spec.wire,
        apiKey: p.apiKey,
        baseURL: p.baseURL ?? spec.baseURL,
        timeoutMs: timeoutMs + 1_000,
        logger: log,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      }),
    }
  })

  const record = (call: LlmCallRecord): void => {
    // The insert must not delay the reply; a lost accounting row is logged, not fatal.
    const p = Promise.resolve()
      .then(() => opts.record(call))
      .catch((err: unknown) =>
        log.warn({ provider: call.provider, err: String(err) }, 'llm call record failed'),
      )
      .finally(() => pending.delete(p))
    pending.add(p)
  }
  const ctx = { log, now, record, breakerOpts }

  async function run(req: LlmRequest, onDelta: DeltaHandler | null): Promise<LlmResult> {
    const started = now()
    const deadline = started + budgetMs
    const errors: LlmAttemptError[] = []
    let attempts = 0
    let awaitedMs = 0
    const finish = <R extends LlmResult>(result: R): R => {
      opts.onTrace?.({ totalMs: now() - started, awaitedMs })
      return result
    }
    const failure = () => {
      log.warn(
        { purpose: req.purpose, messageId: req.messageId, attempts, errors: errors.map(errorCode) },
        'llm request failed on every provider',
      )
      return finish({ ok: false as const, errors, latencyMs: now() - started, attempts })
    }

    if (entries.length === 0) {
      errors.push({ provider: null, model: null, kind: 'no_provider', status: null, message: '' })
      return failure()
    }
    for (const entry of entries) {
      for (let retry = 0; ; retry++) {
        if (req.signal?.aborted) {
          errors.push(aborted(entry))
          return failure()
        }
        const remaining = deadline - now()
        if (remaining <= 0) {
          errors.push({ ...skipped(entry), kind: 'timeout', message: 'request budget spent' })
          return failure()
        }
        const gate = acquire(entry.breaker, breakerOpts, now())
        entry.breaker = gate.state
        if (!gate.allowed) {
          errors.push({ ...skipped(entry), kind: 'breaker_open' })
          break
        }
        attempts++
        const outcome = await runAttempt(ctx, entry, req, {
          timeoutMs: Math.min(entry.timeoutMs, remaining),
          deadline,
          attempt: attempts,
          onDelta,
        })
        awaitedMs += outcome.awaitedMs
        if (outcome.ok) {
          const { text, usage, costUsd } = outcome
          return finish({
            ok: true as const,
            text,
            provider: entry.id,
            model: entry.model,
            usage,
            costUsd,
            latencyMs: now() - started,
            attempts,
          })
        }
        const { kind, status, message } = outcome.error
        errors.push({ provider: entry.id, model: entry.model, kind, status, message })
        if (outcome.error.kind === 'aborted') return failure()
        const delay = retry < retries ? retryDelay(outcome.error, retry, backoff, random) : null
        if (delay === null || now() + delay >= deadline) break
        const slept = now()
        try {
          await sleep(delay, req.signal)
        } catch {
          // Only the caller's signal interrupts a backoff sleep; the loop head reports it.
        }
        awaitedMs += now() - slept
      }
    }
    return failure()
  }

  return {
    complete: (req) => run(req, null),
    stream: (req, onDelta) => run(req, onDelta),
    status: () =>
      entries.map((e) => ({
        provider: e.id,
        model: e.model,
        state: breakerKindAt(e.breaker, breakerOpts, now()),
        consecutiveFailures: e.breaker.kind === 'closed' ? e.breaker.consecutiveFailures : 0,
      })),
    drain: async () => {
      while (pending.size > 0) await Promise.all(pending)
    },
  }
}

function errorCode(e: LlmAttemptError): string {
  return `${e.provider ?? '-'}:${e.kind}${e.status === null ? '' : `_${e.status}`}`
}

function skipped(entry: ProviderEntry): LlmAttemptError {
  return { provider: entry.id, model: entry.model, kind: 'breaker_open', status: null, message: '' }
}

function aborted(entry: ProviderEntry): LlmAttemptError {
  return { ...skipped(entry), kind: 'aborted', message: 'request aborted by caller' }
}
