/**
 * Response bodies of the fake provider, shaped exactly like the OpenAI and Anthropic APIs so the
 * official SDKs parse them as they would the real thing.
 */
import { createHash } from 'node:crypto'
import type { Wire } from './providers.ts'

/** A chat request as the fake understood it. */
export interface FakeRequest {
  readonly wire: Wire
  readonly model: string
  readonly system: string
  readonly messages: readonly { readonly role: 'user' | 'assistant'; readonly content: string }[]
  readonly stream: boolean
  readonly includeUsage: boolean
  readonly inputTokens: number
  readonly body: Record<string, unknown>
}

interface Usage {
  readonly input: number
  readonly output: number
}

let seq = 0
const nextId = (prefix: string) => `${prefix}${(++seq).toString(36).padStart(8, '0')}`
const created = () => Math.floor(Date.now() / 1000)

/**
 * Deterministic stand-in for a tokenizer: a CJK character is a token, other text about four
 * characters a token. Tests only need the counts to be stable and to reach the SDK.
 */
export function countTokens(text: string): number {
  let cjk = 0
  let other = 0
  for (const ch of text) {
    if (/\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u.test(ch)) cjk++
    else other++
  }
  return Math.max(1, cjk + Math.ceil(other / 4))
}

/** Split a reply into a few stream deltas, never inside a code point. */
function pieces(text: string): string[] {
  const chars = Array.from(text)
  const out: string[] = []
  for (let i = 0; i < chars.length; i += 4) out.push(chars.slice(i, i + 4).join(''))
  return out
}

const sseData = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`
const sseEvent = (type: string, v: unknown) => `event: ${type}\ndata: ${JSON.stringify(v)}\n\n`

/** `POST /v1/chat/completions` without `stream`. */
export function openaiChat(req: FakeRequest, text: string, u: Usage) {
  return {
    id: nextId('chatcmpl-fake'),
    object: 'chat.completion',
    created: created(),
    model: req.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
    },
  }
}

/** `POST /v1/chat/completions` with `stream: true`: chunks, the usage chunk, then `[DONE]`. */
export function openaiSse(req: FakeRequest, text: string, u: Usage): string[] {
  const base = {
    id: nextId('chatcmpl-fake'),
    object: 'chat.completion.chunk',
    created: created(),
    model: req.model,
  }
  // Real streams carry `usage: null` on every chunk when usage was asked for.
  const usageNull = req.includeUsage ? { usage: null } : {}
  const chunk = (delta: object, finish: string | null) =>
    sseData({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...usageNull,
    })
  const out = [chunk({ role: 'assistant', content: '' }, null)]
  for (const p of pieces(text)) out.push(chunk({ content: p }, null))
  out.push(chunk({}, 'stop'))
  if (req.includeUsage) {
    const usage = {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
    }
    out.push(sseData({ ...base, choices: [], usage }))
  }
  out.push('data: [DONE]\n\n')
  return out
}

/** `POST /v1/messages` without `stream`. */
export function anthropicMessage(req: FakeRequest, text: string, u: Usage) {
  return {
    id: nextId('msg_fake'),
    type: 'message',
    role: 'assistant',
    model: req.model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: u.input, output_tokens: u.output },
  }
}

/** `POST /v1/messages` with `stream: true`: the real event sequence, ping included. */
export function anthropicSse(req: FakeRequest, text: string, u: Usage): string[] {
  const message = { ...anthropicMessage(req, '', u), content: [], stop_reason: null }
  // message_start reports the input tokens and a provisional output count, as the API does.
  const out = [
    sseEvent('message_start', {
      type: 'message_start',
      message: { ...message, usage: { input_tokens: u.input, output_tokens: 1 } },
    }),
  ]
  out.push(
    sseEvent('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }),
  )
  out.push(sseEvent('ping', { type: 'ping' }))
  for (const p of pieces(text)) {
    out.push(
      sseEvent('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: p },
      }),
    )
  }
  out.push(sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }))
  out.push(
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: u.output },
    }),
  )
  out.push(sseEvent('message_stop', { type: 'message_stop' }))
  return out
}

/** `POST /v1/embeddings`: deterministic unit vectors, as floats or base64 float32. */
export function embeddingsResponse(body: Record<string, unknown>) {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')]
  const dims = typeof body.dimensions === 'number' ? body.dimensions : 16
  let tokens = 0
  const data = inputs.map((input, index) => {
    tokens += countTokens(input)
    const v = vectorOf(input, dims)
    const embedding =
      body.encoding_format === 'base64'
        ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
        : Array.from(v)
    return { object: 'embedding', index, embedding }
  })
  return {
    object: 'list',
    data,
    model: String(body.model),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  }
}

function vectorOf(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims)
  let block = Buffer.alloc(0)
  for (let i = 0; i < dims; i++) {
    if (i % 8 === 0) block = createHash('sha256').update(`${i}:${text}`).digest()
    v[i] = block.readInt32LE((i % 8) * 4) / 2 ** 31
  }
  const norm = Math.hypot(...v) || 1
  for (let i = 0; i < dims; i++) v[i] = v[i] / norm
  return v
}

const anthropicTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
}

/** An Anthropic error response. */
export function anthropicError(
  status: number,
  message: string,
  headers: Record<string, string>,
): Response {
  const type = anthropicTypes[status] ?? 'api_error'
  return Response.json({ type: 'error', error: { type, message } }, { status, headers })
}

/** An OpenAI error response. */
export function openaiError(
  status: number,
  message: string,
  headers: Record<string, string>,
): Response {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status >= 500
        ? 'server_error'
        : 'invalid_request_error'
  return Response.json({ error: { message, type, param: null, code: null } }, { status, headers })
}
