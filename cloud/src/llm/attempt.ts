/**
 * One attempt against one provider: arm the timeout, call the SDK, account the call, and feed
 * the outcome to that provider's breaker. The gateway decides what happens next.
 */
import type { Logger } from 'pino'
import { onFailure, onSuccess, release, type BreakerOptions, type BreakerState } from './breaker.ts'
import { costUsd, type Price, type ProviderId } from './providers.ts'
import { classifyError, isProviderFault, type AttemptError } from './retry-policy.ts'
import type { DeltaHandler, LlmCallRecord, LlmRequest, LlmUsage } from './types.ts'
import type { WireClient, WireCompletion } from './wire-clients.ts'

/** A configured provider with its live breaker state. */
export interface ProviderEntry {
  readonly id: ProviderId
  readonly model: string
  readonly price: Price
  readonly timeoutMs: number
  readonly client: WireClient
  breaker: BreakerState
}

/** What an attempt needs from the gateway. */
export interface AttemptContext {
  readonly log: Logger
  readonly now: () => number
  readonly record: (call: LlmCallRecord) => void
  readonly breakerOpts: BreakerOptions
}

/** Per-attempt parameters. */
export interface AttemptParams {
  /** Abandon the attempt after this long (for streams: this long without an event). */
  readonly timeoutMs: number
  /** The request's hard deadline; a stream's idle timer is never pushed past it. */
  readonly deadline: number
  /** 1-based attempt number within the request, passed to stream handlers. */
  readonly attempt: number
  readonly onDelta: DeltaHandler | null
}

/**
 * Outcome of one attempt. `awaitedMs` is time spent awaiting the SDK: measured precisely on
 * success, the whole attempt on failure (overhead only matters on the happy path).
 */
export type AttemptOutcome =
  | {
      readonly ok: true
      readonly text: string
      readonly usage: LlmUsage
      readonly costUsd: number
      readonly awaitedMs: number
    }
  | { readonly ok: false; readonly error: AttemptError; readonly awaitedMs: number }

/** Run one attempt. Never throws, except to surface an exception from the caller's `onDelta`. */
export async function runAttempt(
  ctx: AttemptContext,
  entry: ProviderEntry,
  req: LlmRequest,
  params: AttemptParams,
): Promise<AttemptOutcome> {
  const { now, log } = ctx
  const ac = new AbortController()
  let timedOut = false
  let callerAborted = false
  // Set when the caller's onDelta threw: that is a caller bug, rethrown rather than retried.
  const handler: { failed: boolean; error: unknown } = { failed: false, error: undefined }
  const timer = setTimeout(() => {
    timedOut = true
    ac.abort(new Error('attempt timed out'))
  }, params.timeoutMs)
  const onCallerAbort = () => {
    callerAborted = true
    ac.abort(req.signal?.reason)
  }
  req.signal?.addEventListener('abort', onCallerAbort, { once: true })

  const usage = { inputTokens: 0, outputTokens: 0 }
  const streamed = params.onDelta !== null
  const started = now()
  try {
    let done: WireCompletion
    if (params.onDelta === null) {
      done = await entry.client.complete(req, entry.model, ac.signal)
    } else {
      const onDelta = params.onDelta
      const info = { provider: entry.id, attempt: params.attempt }
      done = await entry.client.stream(req, entry.model, ac.signal, {
        usage,
        text(delta) {
          try {
            onDelta(delta, info)
          } catch (error) {
            handler.failed = true
            handler.error = error
            ac.abort(error)
          }
        },
        tick() {
          // Idle timeout: a provider that keeps talking keeps its slot, up to the deadline.
          if (now() + params.timeoutMs <= params.deadline) timer.refresh()
        },
      })
    }
    const ended = now()
    const used = { inputTokens: done.inputTokens, outputTokens: done.outputTokens }
    const cost = costUsd(entry.price, used)
    setBreaker(log, entry, onSuccess(entry.breaker, ctx.breakerOpts))
    ctx.record(callRecord(entry, req, used, cost, ended - started, null, streamed))
    log.debug(
      {
        provider: entry.id,
        model: entry.model,
        purpose: req.purpose,
        messageId: req.messageId,
        latencyMs: ended - started,
        ...used,
        streamed,
      },
      'llm attempt ok',
    )
    return { ok: true, text: done.text, usage: used, costUsd: cost, awaitedMs: done.sdkMs }
  } catch (err) {
    const ended = now()
    if (handler.failed) {
      // Not the provider's fault: free a half-open trial, keep the accounting, surface the bug.
      entry.breaker = release(entry.breaker)
      const cost = costUsd(entry.price, usage)
      ctx.record(callRecord(entry, req, usage, cost, ended - started, 'handler_threw', streamed))
      throw handler.error
    }
    const error = classifyError(err, { timedOut, callerAborted }, ended)
    setBreaker(
      log,
      entry,
      error.kind === 'aborted'
        ? release(entry.breaker)
        : isProviderFault(error)
          ? onFailure(entry.breaker, ctx.breakerOpts, ended)
          : onSuccess(entry.breaker, ctx.breakerOpts),
    )
    const code = error.kind === 'http' ? `http_${error.status}` : error.kind
    // A failed stream may have been billed for what it produced before it broke.
    const cost = costUsd(entry.price, usage)
    ctx.record(callRecord(entry, req, usage, cost, ended - started, code, streamed))
    log.warn(
      {
        provider: entry.id,
        model: entry.model,
        purpose: req.purpose,
        messageId: req.messageId,
        error: code,
        latencyMs: Math.round(ended - started),
      },
      'llm attempt failed',
    )
    log.debug({ provider: entry.id, detail: error.message }, 'llm attempt failure detail')
    return { ok: false, error, awaitedMs: ended - started }
  } finally {
    clearTimeout(timer)
    req.signal?.removeEventListener('abort', onCallerAbort)
  }
}

function setBreaker(log: Logger, entry: ProviderEntry, next: BreakerState): void {
  if (next.kind !== entry.breaker.kind) {
    log.warn({ provider: entry.id, from: entry.breaker.kind, to: next.kind }, 'llm breaker changed')
  }
  entry.breaker = next
}

function callRecord(
  entry: ProviderEntry,
  req: LlmRequest,
  usage: LlmUsage,
  cost: number,
  latencyMs: number,
  error: string | null,
  streamed: boolean,
): LlmCallRecord {
  return {
    provider: entry.id,
    model: entry.model,
    purpose: req.purpose,
    messageId: req.messageId ?? null,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costUsd: cost,
    // `llm_calls.latency_ms` is an integer column.
    latencyMs: Math.round(latencyMs),
    ok: error === null,
    error,
    streamed,
  }
}
