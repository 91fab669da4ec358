/**
 * The SDK edge: one small interface over the official `openai` and `@anthropic-ai/sdk`
 * clients, so the gateway never touches a wire format.
 */
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import type { Logger } from 'pino'
import type { Wire } from './providers.ts'
import { InvalidResponseError } from './retry-policy.ts'
import type { LlmRequest } from './types.ts'

/** Text and usage of one finished attempt. */
export interface WireCompletion {
  readonly text: string
  readonly inputTokens: number
  readonly outputTokens: number
  /**
   * Time spent awaiting the SDK (request, network, response parsing), excluding our own mapping
   * and per-chunk handling; what the overhead benchmark subtracts.
   */
  readonly sdkMs: number
}

/** Where a streaming attempt reports progress while it runs. */
export interface StreamSink {
  /** A text delta to pass on. */
  text(delta: string): void
  /** Any event arrived (the gateway's idle timer restarts). */
  tick(): void
  /** Usage seen so far, kept up to date so a failed stream can still be accounted. */
  readonly usage: { inputTokens: number; outputTokens: number }
}

/** One provider's SDK client behind a wire-neutral interface. */
export interface WireClient {
  complete(req: LlmRequest, model: string, signal: AbortSignal): Promise<WireCompletion>
  stream(
    req: LlmRequest,
    model: string,
    signal: AbortSignal,
    sink: StreamSink,
  ): Promise<WireCompletion>
}

/** Connection settings for one SDK client. */
export interface WireClientOptions {
  readonly wire: Wire
  readonly apiKey: string
  readonly baseURL: string
  /** SDK-level backstop only; the gateway's own abort signal is what times calls out. */
  readonly timeoutMs: number
  readonly logger: Logger
  readonly fetch?: typeof fetch
}

/** Anthropic requires `max_tokens`; this is what a chat reply gets when the caller sets none. */
export const DEFAULT_MAX_TOKENS = 1024

/** Build the SDK client for one provider. SDK retries are off: the gateway owns the policy. */
export function createWireClient(opts: WireClientOptions): WireClient {
  // SDK log lines may carry request details, so they stay at debug unless they are warnings.
  const log = opts.logger
  const sdkLogger = {
    error: (m: string) => log.warn({ sdk: opts.wire }, m),
    warn: (m: string) => log.warn({ sdk: opts.wire }, m),
    info: (m: string) => log.debug({ sdk: opts.wire }, m),
    debug: (m: string) => log.debug({ sdk: opts.wire }, m),
  }
  const common = {
    apiKey: opts.apiKey,
    baseURL: opts.baseURL,
    maxRetries: 0,
    timeout: opts.timeoutMs,
    logger: sdkLogger,
    logLevel: 'warn' as const,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  }
  return opts.wire === 'anthropic'
    ? anthropicClient(new Anthropic({ ...common, openTelemetry: false }))
    : // Explicit nulls stop the SDK picking up OPENAI_ORG_ID / OPENAI_PROJECT_ID for other vendors.
      openaiClient(new OpenAI({ ...common, organization: null, project: null }))
}

function openaiMessages(req: LlmRequest): OpenAI.Chat.ChatCompletionMessageParam[] {
  const out: OpenAI.Chat.ChatCompletionMessageParam[] = []
  if (req.system !== '') out.push({ role: 'system', content: req.system })
  for (const m of req.messages) out.push({ role: m.role, content: m.content })
  return out
}

function openaiParams(req: LlmRequest, model: string) {
  return {
    model,
    messages: openaiMessages(req),
    // `max_tokens` rather than `max_completion_tokens`: every OpenAI-compatible vendor takes it.
    ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  }
}

function openaiClient(client: OpenAI): WireClient {
  return {
    async complete(req, model, signal) {
      const params = openaiParams(req, model)
      const t0 = performance.now()
      const res = await client.chat.completions.create(params, { signal })
      const sdkMs = performance.now() - t0
      const choice = res.choices[0]
      if (choice === undefined) throw new InvalidResponseError('no choices in completion')
      return {
        text: choice.message.content ?? '',
        inputTokens: res.usage?.prompt_tokens ?? 0,
        outputTokens: res.usage?.completion_tokens ?? 0,
        sdkMs,
      }
    },
    async stream(req, model, signal, sink) {
      const params = openaiParams(req, model)
      const timer = sdkTimer()
      const stream = await client.chat.completions.create(
        { ...params, stream: true, stream_options: { include_usage: true } },
        { signal },
      )
      let text = ''
      let finished = false
      for await (const chunk of stream) {
        timer.pause()
        sink.tick()
        if (chunk.choices[0]?.finish_reason) finished = true
        const delta = chunk.choices[0]?.delta?.content
        if (delta) {
          text += delta
          sink.text(delta)
        }
        // With include_usage the final chunk has empty choices and the totals.
        if (chunk.usage) {
          sink.usage.inputTokens = chunk.usage.prompt_tokens
          sink.usage.outputTokens = chunk.usage.completion_tokens
        }
        timer.resume()
      }
      timer.pause()
      assertFinished(finished, signal)
      return { text, ...sink.usage, sdkMs: timer.ms }
    },
  }
}

function anthropicParams(req: LlmRequest, model: string) {
  return {
    model,
    max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(req.system !== '' ? { system: req.system } : {}),
    // Anthropic's range is 0..1 where OpenAI's is 0..2.
    ...(req.temperature !== undefined ? { temperature: Math.min(1, req.temperature) } : {}),
  }
}

function anthropicClient(client: Anthropic): WireClient {
  return {
    async complete(req, model, signal) {
      const params = anthropicParams(req, model)
      const t0 = performance.now()
      const res = await client.messages.create(params, { signal })
      const sdkMs = performance.now() - t0
      let text = ''
      for (const block of res.content) if (block.type === 'text') text += block.text
      const { input_tokens: inputTokens, output_tokens: outputTokens } = res.usage
      return { text, inputTokens, outputTokens, sdkMs }
    },
    async stream(req, model, signal, sink) {
      const params = anthropicParams(req, model)
      const timer = sdkTimer()
      const stream = await client.messages.create({ ...params, stream: true }, { signal })
      let text = ''
      let finished = false
      for await (const event of stream) {
        timer.pause()
        sink.tick()
        switch (event.type) {
          case 'message_start':
            sink.usage.inputTokens = event.message.usage.input_tokens
            sink.usage.outputTokens = event.message.usage.output_tokens
            break
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') {
              text += event.delta.text
              sink.text(event.delta.text)
            }
            break
          case 'message_delta':
            // message_delta usage is cumulative; input_tokens is only sometimes repeated.
            sink.usage.outputTokens = event.usage.output_tokens
            if (event.usage.input_tokens != null) sink.usage.inputTokens = event.usage.input_tokens
            break
          case 'message_stop':
            finished = true
            break
          default:
            break
        }
        timer.resume()
      }
      timer.pause()
      assertFinished(finished, signal)
      return { text, ...sink.usage, sdkMs: timer.ms }
    },
  }
}

/** Accumulates the time spent inside SDK awaits, paused while our loop body runs. */
function sdkTimer() {
  let ms = 0
  let since: number | null = performance.now()
  return {
    pause() {
      if (since !== null) ms += performance.now() - since
      since = null
    },
    resume() {
      since = performance.now()
    },
    get ms() {
      return ms
    },
  }
}

/**
 * The SDKs end a stream quietly when its signal aborts, and a dropped connection can end it
 * early too; either way the text is partial and must not pass for a reply.
 */
function assertFinished(finished: boolean, signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason
  if (!finished) throw new InvalidResponseError('stream ended before the provider finished')
}
