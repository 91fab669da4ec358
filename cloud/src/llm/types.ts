/**
 * Request, result and accounting types of the LLM gateway.
 */
import type { ProviderId } from './providers.ts'
import type { ErrorKind } from './retry-policy.ts'

/** One turn of the conversation sent to the model. */
export interface LlmMessage {
  readonly role: 'user' | 'assistant'
  readonly content: string
}

/** What the reply pipeline asks the gateway for. */
export interface LlmRequest {
  readonly system: string
  readonly messages: readonly LlmMessage[]
  readonly maxTokens?: number
  readonly temperature?: number
  /** Why the call is made (`reply`, `summary`, `grade`…); lands in `llm_calls.purpose`. */
  readonly purpose: string
  /** The customer message this call answers, for `llm_calls.message_id`. */
  readonly messageId?: string
  /** Cancels the whole request, across providers and retries. */
  readonly signal?: AbortSignal
}

/** Token usage as the provider reported it. */
export interface LlmUsage {
  readonly inputTokens: number
  readonly outputTokens: number
}

/** A reply from some provider. */
export interface LlmReply {
  readonly ok: true
  readonly text: string
  readonly provider: ProviderId
  readonly model: string
  readonly usage: LlmUsage
  /** Cost of the successful attempt (failed attempts are in their own records). */
  readonly costUsd: number
  /** Wall time of the whole request, including failed attempts and backoff. */
  readonly latencyMs: number
  /** Attempts made, including the successful one. */
  readonly attempts: number
}

/** Why a provider did not answer. `breaker_open` and `no_provider` never reached the wire. */
export type LlmErrorKind = ErrorKind | 'breaker_open' | 'no_provider'

/** One failed attempt (or skipped provider) inside a failed or recovered request. */
export interface LlmAttemptError {
  readonly provider: ProviderId | null
  readonly model: string | null
  readonly kind: LlmErrorKind
  readonly status: number | null
  /** Provider's wording; may echo request text, so keep it out of info-level logs. */
  readonly message: string
}

/** Every provider failed or was skipped: an expected outcome, returned rather than thrown. */
export interface LlmFailure {
  readonly ok: false
  readonly errors: readonly LlmAttemptError[]
  readonly latencyMs: number
  readonly attempts: number
}

/** Outcome of `complete` / `stream`. */
export type LlmResult = LlmReply | LlmFailure

/** One row for the `llm_calls` table: one per attempt, success or failure. */
export interface LlmCallRecord {
  readonly provider: ProviderId
  readonly model: string
  readonly purpose: string
  readonly messageId: string | null
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
  readonly latencyMs: number
  readonly ok: boolean
  /** `http_500`, `timeout`, `network`, `invalid_response`, `aborted`, `handler_threw`, or `null`. */
  readonly error: string | null
  readonly streamed: boolean
}

/**
 * Receives streamed text. `attempt` changes when a stream failed part-way and the gateway
 * moved on: text delivered under an earlier attempt number is void and should be discarded.
 */
export type DeltaHandler = (
  delta: string,
  info: { readonly provider: ProviderId; readonly attempt: number },
) => void
