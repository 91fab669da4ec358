import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { startFakeProvider, type FakeProviderServer } from './fake-provider.ts'

let fake: FakeProviderServer
beforeAll(async () => {
  fake = await startFakeProvider()
})
afterAll(() => fake.close())
beforeEach(() => {
  for (const name of ['a', 'b', 'default']) fake.control(name).reset()
})

const openai = (name: string) =>
  new OpenAI({ apiKey: 'k', baseURL: fake.baseURL(name, 'openai'), maxRetries: 0 })
const anthropic = (name: string) =>
  new Anthropic({ apiKey: 'k', baseURL: fake.baseURL(name, 'anthropic'), maxRetries: 0 })
const chat = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] }

test('providers sharing the server keep separate answers and counters', async () => {
  fake.control('a').answer('from a')
  fake.control('b').answer((req) => `b heard ${req.messages.at(-1)?.content}`)
  const a = await openai('a').chat.completions.create(chat)
  const b = await openai('b').chat.completions.create(chat)
  expect(a.choices[0]?.message.content).toBe('from a')
  expect(b.choices[0]?.message.content).toBe('b heard hi')
  expect(fake.control('a').requests).toEqual({ total: 1, chat: 1, embeddings: 0, messages: 0 })
  expect(fake.control('b').lastRequest?.wire).toBe('openai')
})

test('the bare /v1 path is provider "default"', async () => {
  const client = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/v1`, maxRetries: 0 })
  await client.chat.completions.create(chat)
  expect(fake.control().requests.chat).toBe(1)
})

test('OpenAI streaming ends with a usage chunk when include_usage is set', async () => {
  fake.control('a').answer('你好，有货的')
  const stream = await openai('a').chat.completions.create({
    ...chat,
    stream: true,
    stream_options: { include_usage: true },
  })
  let text = ''
  let usage: OpenAI.CompletionUsage | null | undefined
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? ''
    usage = chunk.usage ?? usage
  }
  expect(text).toBe('你好，有货的')
  expect(usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 6 })
})

test('Anthropic streaming sends the real event sequence', async () => {
  fake.control('a').answer('hello there, friend')
  const stream = await anthropic('a').messages.create({ ...chat, max_tokens: 100, stream: true })
  const types: string[] = []
  for await (const ev of stream) types.push(ev.type)
  expect(types[0]).toBe('message_start')
  expect(types[1]).toBe('content_block_start')
  expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop'])
  expect(new Set(types.slice(2, -3))).toEqual(new Set(['content_block_delta']))
})

test('embeddings work in float and in the SDK-default base64 encoding', async () => {
  const client = openai('a')
  const b64 = await client.embeddings.create({ model: 'e', input: ['一', '二'], dimensions: 8 })
  const floats = await client.embeddings.create({
    model: 'e',
    input: '一',
    dimensions: 8,
    encoding_format: 'float',
  })
  expect(b64.data).toHaveLength(2)
  expect(b64.data[0]?.embedding).toHaveLength(8)
  expect(floats.data[0]?.embedding[0]).toBeCloseTo(b64.data[0]!.embedding[0]!, 6)
  expect(Math.hypot(...floats.data[0]!.embedding)).toBeCloseTo(1, 5)
  expect(fake.control('a').requests.embeddings).toBe(2)
})

test('fail answers with the status and Retry-After for the given number of times', async () => {
  fake.control('a').fail(503, { retryAfter: 2, times: 1 })
  const err = await openai('a')
    .chat.completions.create(chat)
    .catch((e: unknown) => e)
  expect(err).toBeInstanceOf(OpenAI.APIError)
  expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503)
  expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('2')
  await expect(openai('a').chat.completions.create(chat)).resolves.toBeDefined()
})

test('Anthropic errors use the Anthropic error shape', async () => {
  fake.control('b').fail(529)
  const err = await anthropic('b')
    .messages.create({ ...chat, max_tokens: 10 })
    .catch((e: unknown) => e)
  expect(err).toBeInstanceOf(Anthropic.APIError)
  expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529)
  expect(JSON.stringify((err as InstanceType<typeof Anthropic.APIError>).error)).toContain(
    'overloaded_error',
  )
})

test('stall holds a request for the given time', async () => {
  fake.control('a').stall(120, { times: 1 })
  const t0 = performance.now()
  await openai('a').chat.completions.create(chat)
  expect(performance.now() - t0).toBeGreaterThanOrEqual(110)
  const t1 = performance.now()
  await openai('a').chat.completions.create(chat)
  expect(performance.now() - t1).toBeLessThan(100)
})

test('a request stalled forever is released when the client gives up', async () => {
  fake.control('a').stall('forever')
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 50)
  await expect(
    openai('a').chat.completions.create(chat, { signal: ac.signal }),
  ).rejects.toBeInstanceOf(OpenAI.APIUserAbortError)
  expect(fake.control('a').requests.total).toBe(1)
})

test('rateLimit lets n requests through per window, then 429 with Retry-After', async () => {
  fake.control('a').rateLimit(2, { windowMs: 60_000, retryAfter: 7 })
  const client = openai('a')
  await client.chat.completions.create(chat)
  await client.chat.completions.create(chat)
  const err = (await client.chat.completions.create(chat).catch((e: unknown) => e)) as InstanceType<
    typeof OpenAI.APIError
  >
  expect(err.status).toBe(429)
  expect(err.headers?.get('retry-after')).toBe('7')
  expect(fake.control('a').requests.total).toBe(3)
})

test('a request without an API key is rejected like the real thing', async () => {
  const res = await fetch(`${fake.url}/p/a/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chat),
  })
  expect(res.status).toBe(401)
})
