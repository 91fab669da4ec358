import { pino } from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import { createLlmGateway } from './gateway.ts'
import { createGatewayKit, request, type GatewayKit } from './gateway-test-kit.ts'
import { PROVIDERS, costUsd, type ProviderId } from './providers.ts'
import type { LlmResult } from './types.ts'

let kit: GatewayKit | undefined
afterEach(async () => {
  await kit?.close()
  kit = undefined
})

const ok = (r: LlmResult) => {
  if (!r.ok) throw new Error(`expected a reply, got ${JSON.stringify(r.errors)}`)
  return r
}

describe.each([
  ['anthropic', 'anthropic'],
  ['openai', 'openai'],
  ['deepseek', 'openai'],
  ['qwen', 'openai'],
  ['zhipu', 'openai'],
  ['moonshot', 'openai'],
  ['doubao', 'openai'],
] as const)('%s (%s wire) through the real SDK', (id: ProviderId, _wire: string) => {
  test('complete returns the text, usage and cost, and records the call', async () => {
    kit = await createGatewayKit({ providers: [{ id }] })
    kit.fake.control(id).answer('有的，明前龙井现货')
    const r = ok(await kit.gateway.complete(request()))
    expect(r).toMatchObject({ text: '有的，明前龙井现货', provider: id, attempts: 1 })
    expect(r.model).toBe(PROVIDERS[id].model)
    expect(r.usage.inputTokens).toBeGreaterThan(0)
    expect(r.usage.outputTokens).toBe(9)
    expect(r.costUsd).toBeCloseTo(costUsd(PROVIDERS[id].price, r.usage), 12)
    await kit.gateway.drain()
    expect(kit.records).toEqual([
      {
        provider: id,
        model: PROVIDERS[id].model,
        purpose: 'reply',
        messageId: request().messageId,
        inputTokens: r.usage.inputTokens,
        outputTokens: 9,
        costUsd: r.costUsd,
        latencyMs: expect.any(Number),
        ok: true,
        error: null,
        streamed: false,
      },
    ])
  })

  test('stream delivers deltas in order and accounts usage from the stream', async () => {
    kit = await createGatewayKit({ providers: [{ id }] })
    kit.fake.control(id).answer('您好！龙井有货，欢迎下单。')
    const deltas: string[] = []
    const r = ok(await kit.gateway.stream(request(), (d) => deltas.push(d)))
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe(r.text)
    expect(r.text).toBe('您好！龙井有货，欢迎下单。')
    expect(r.usage.outputTokens).toBeGreaterThan(0)
    expect(r.usage.inputTokens).toBe(kit.fake.control(id).lastRequest?.inputTokens)
    await kit.gateway.drain()
    expect(kit.records).toMatchObject([{ ok: true, streamed: true, costUsd: r.costUsd }])
  })
})

test('the request reaches the provider as system prompt plus turns, with the configured model', async () => {
  kit = await createGatewayKit({ providers: [{ id: 'anthropic' }, { id: 'qwen' }] })
  kit.fake.control('anthropic').fail(500)
  const req = request({
    messages: [
      { role: 'user', content: '在吗' },
      { role: 'assistant', content: '在的' },
      { role: 'user', content: '发货吗' },
    ],
    maxTokens: 200,
    temperature: 0.3,
  })
  await kit.gateway.complete(req)
  const seenByQwen = kit.fake.control('qwen').lastRequest!
  expect(seenByQwen.system).toBe(req.system)
  expect(seenByQwen.messages).toEqual(req.messages)
  expect(seenByQwen.body).toMatchObject({ model: 'qwen-plus', max_tokens: 200, temperature: 0.3 })
})

test('a 400 is not retried on the same provider and does not count against its breaker', async () => {
  kit = await createGatewayKit({ providers: [{ id: 'openai' }, { id: 'deepseek' }], retries: 3 })
  kit.fake.control('openai').fail(400)
  const r = ok(await kit.gateway.complete(request()))
  expect(r.provider).toBe('deepseek')
  expect(kit.fake.control('openai').requests.total).toBe(1)
  expect(kit.sleeps).toEqual([])
  expect(kit.gateway.status()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
})

test('a 401 is not retried, but it does count against the breaker', async () => {
  kit = await createGatewayKit({ providers: [{ id: 'anthropic' }, { id: 'deepseek' }], retries: 3 })
  kit.fake.control('anthropic').fail(401)
  const r = ok(await kit.gateway.complete(request()))
  expect(r).toMatchObject({ provider: 'deepseek', attempts: 2 })
  expect(kit.fake.control('anthropic').requests.total).toBe(1)
  expect(kit.gateway.status()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 1 })
})

test('with every provider down the result is a tagged failure, one record per attempt', async () => {
  kit = await createGatewayKit({ providers: [{ id: 'anthropic' }, { id: 'zhipu' }], retries: 1 })
  kit.fake.control('anthropic').fail(503)
  kit.fake.control('zhipu').fail(500)
  const r = await kit.gateway.complete(request())
  expect(r.ok).toBe(false)
  if (r.ok) return
  expect(r.attempts).toBe(4)
  expect(r.errors.map((e) => `${e.provider}:${e.kind}:${e.status}`)).toEqual([
    'anthropic:http:503',
    'anthropic:http:503',
    'zhipu:http:500',
    'zhipu:http:500',
  ])
  await kit.gateway.drain()
  expect(kit.records.map((c) => [c.provider, c.ok, c.error])).toEqual([
    ['anthropic', false, 'http_503'],
    ['anthropic', false, 'http_503'],
    ['zhipu', false, 'http_500'],
    ['zhipu', false, 'http_500'],
  ])
})

test('a retry that succeeds leaves a failed and a successful record', async () => {
  kit = await createGatewayKit({ providers: [{ id: 'moonshot' }], retries: 2 })
  kit.fake.control('moonshot').fail(502, { times: 1 })
  const r = ok(await kit.gateway.complete(request()))
  expect(r.attempts).toBe(2)
  await kit.gateway.drain()
  expect(kit.records.map((c) => c.error)).toEqual(['http_502', null])
  expect(kit.sleeps).toHaveLength(1)
})

test('with no provider configured the gateway fails softly, so FAQ/KB answers can take over', async () => {
  const gw = createLlmGateway({
    providers: [],
    record: async () => {},
    logger: pino({ level: 'silent' }),
  })
  const r = await gw.complete(request())
  expect(r).toMatchObject({ ok: false, attempts: 0, errors: [{ kind: 'no_provider' }] })
  expect(gw.status()).toEqual([])
})

test('a failing record callback is logged and does not fail the reply', async () => {
  kit = await createGatewayKit({
    providers: [{ id: 'doubao' }],
    record: () => Promise.reject(new Error('db down')),
  })
  const r = await kit.gateway.complete(request())
  expect(r.ok).toBe(true)
  await kit.gateway.drain()
})

test('a misconfigured provider list is rejected at startup', () => {
  const base = { record: async () => {}, logger: pino({ level: 'silent' }) }
  expect(() =>
    createLlmGateway({ ...base, providers: [{ id: 'nope' as ProviderId, apiKey: 'k' }] }),
  ).toThrow(/unknown LLM provider/)
  expect(() =>
    createLlmGateway({
      ...base,
      providers: [
        { id: 'qwen', apiKey: 'k' },
        { id: 'qwen', apiKey: 'k2' },
      ],
    }),
  ).toThrow(/configured twice/)
})

test('an exception thrown by the stream handler surfaces to the caller', async () => {
  kit = await createGatewayKit({ providers: [{ id: 'openai' }, { id: 'deepseek' }] })
  await expect(
    kit.gateway.stream(request(), () => {
      throw new Error('handler bug')
    }),
  ).rejects.toThrow('handler bug')
  expect(kit.fake.control('deepseek').requests.total).toBe(0)
  await kit.gateway.drain()
  expect(kit.records).toMatchObject([{ provider: 'openai', ok: false, error: 'handler_threw' }])
})

test('with every breaker open the request fails without touching the network', async () => {
  kit = await createGatewayKit({
    providers: [{ id: 'openai' }, { id: 'qwen' }],
    retries: 0,
    manualClock: true,
    breaker: { failureThreshold: 1 },
  })
  kit.fake.control('openai').fail(500)
  kit.fake.control('qwen').fail(500)
  await kit.gateway.complete(request())
  const r = await kit.gateway.complete(request())
  expect(r).toMatchObject({
    ok: false,
    attempts: 0,
    errors: [
      { provider: 'openai', kind: 'breaker_open' },
      { provider: 'qwen', kind: 'breaker_open' },
    ],
  })
  expect(kit.fake.control('openai').requests.total).toBe(1)
  expect(kit.gateway.status().map((s) => s.state)).toEqual(['open', 'open'])
})

test('a stream cut off before message_stop is not passed off as a reply', async () => {
  // Drop the last SSE event of every Anthropic stream, as a dropped connection would.
  const truncating: typeof fetch = async (input, init) => {
    const res = await fetch(input, init)
    if (!String(input).includes('/v1/messages')) return res
    const events = (await res.text()).split('\n\n').filter(Boolean)
    const body = events.slice(0, -1).join('\n\n') + '\n\n'
    return new Response(body, { status: res.status, headers: res.headers })
  }
  kit = await createGatewayKit({
    providers: [{ id: 'anthropic' }, { id: 'deepseek' }],
    fetch: truncating,
  })
  const r = await kit.gateway.stream(request(), () => {})
  expect(r).toMatchObject({ ok: true, provider: 'deepseek', attempts: 2 })
  await kit.gateway.drain()
  expect(kit.records[0]).toMatchObject({ provider: 'anthropic', error: 'invalid_response' })
})
