import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAiCompatibleEmbedder, EmbeddingRequestError } from './embedder-openai.ts'

// A stand-in provider speaking the OpenAI /embeddings wire format over real HTTP.
interface Seen {
  auth: string | undefined
  body: { model: string; input: string[]; dimensions?: number; encoding_format: string }
}
let server: Server
let baseURL = ''
let seen: Seen[] = []
interface Reply {
  status: number
  headers?: Record<string, string>
  json: unknown
}
let script: ((s: Seen) => Reply)[] = []

const vector = (text: string, width: number) =>
  Array.from({ length: width }, (_, i) => (i === text.length % width ? 3 : i === 0 ? 4 : 0))

const ok =
  (width = 384) =>
  (s: Seen): Reply => ({
    status: 200,
    // Out of order on purpose: clients must sort by index.
    json: {
      object: 'list',
      model: s.body.model,
      data: s.body.input
        .map((t, index) => ({ object: 'embedding', index, embedding: vector(t, width) }))
        .reverse(),
      usage: { prompt_tokens: 1, total_tokens: 1 },
    },
  })

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let b = ''
    req.on('data', (c: Buffer) => (b += c.toString()))
    req.on('end', () => resolve(b))
  })

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const s: Seen = { auth: req.headers.authorization, body: JSON.parse(await read(req)) }
    seen.push(s)
    const r = (script.shift() ?? ok())(s)
    res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers })
    res.end(JSON.stringify(r.json))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  seen = []
  script = []
})

const waits: number[] = []
const make = (extra = {}) =>
  createOpenAiCompatibleEmbedder({
    baseURL,
    model: 'text-embedding-3-small',
    apiKey: 'sk-test',
    batchSize: 2,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    ...extra,
  })

describe('openai-compatible embedder', () => {
  test('posts batches with model, dimensions and key, and keeps input order', async () => {
    const e = make()
    const v = await e.embed(['退款', '', '快递到哪了', '发票'])
    expect(seen.map((s) => s.body.input)).toEqual([['退款', '快递到哪了'], ['发票']])
    expect(seen[0]!.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 384 })
    expect(seen[0]!.auth).toBe('Bearer sk-test')
    expect(v).toHaveLength(4)
    expect(v[1]!.every((x) => x === 0)).toBe(true) // the empty text was not sent
    vector('退款', 384).forEach((x, i) => expect(v[0]![i]).toBeCloseTo(x / 5, 9))
    expect(e.id).toBe('openai-compatible:text-embedding-3-small')
  })

  test('truncates and normalises vectors from a provider that ignores dimensions', async () => {
    script = [ok(1024)]
    const [v] = await make({ sendDimensions: false }).embed(['退款'])
    expect(seen[0]!.body.dimensions).toBeUndefined()
    expect(v).toHaveLength(384)
    expect(Math.hypot(...v!)).toBeCloseTo(1, 6)
  })

  test('waits as Retry-After asks on 429, then succeeds', async () => {
    waits.length = 0
    script = [() => ({ status: 429, headers: { 'retry-after': '1' }, json: { error: {} } }), ok()]
    const [v] = await make().embed(['退款'])
    expect(v).toHaveLength(384)
    expect(seen).toHaveLength(2)
    expect(waits).toEqual([1000])
  })

  test('fails fast on 400 with the status', async () => {
    script = [() => ({ status: 400, json: { error: { message: 'bad input' } } })]
    const err = await make()
      .embed(['退款'])
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EmbeddingRequestError)
    expect((err as EmbeddingRequestError).status).toBe(400)
    expect(seen).toHaveLength(1)
  })

  test('gives up on 5xx after maxRetries', async () => {
    script = Array.from({ length: 5 }, () => () => ({ status: 503, json: {} }))
    const err = await make({ maxRetries: 2 })
      .embed(['退款'])
      .catch((e: unknown) => e)
    expect((err as EmbeddingRequestError).status).toBe(503)
    expect(seen).toHaveLength(3)
  })

  test('rejects a response with the wrong number of vectors', async () => {
    script = [() => ({ status: 200, json: { data: [] } })]
    const err = await make({ maxRetries: 0 })
      .embed(['退款'])
      .catch((e: unknown) => e)
    expect((err as EmbeddingRequestError).kind).toBe('invalid_response')
  })
})
