import { pino } from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import { createLlmGateway } from './gateway.ts'
import { createGatewayKit, request, type GatewayKit } from './gateway-test-kit.ts'
import type { LlmCallRecord, LlmResult } from './types.ts'

let kit: GatewayKit | undefined
afterEach(async () => {
  await kit?.close()
  kit = undefined
})

const providers = (primaryTimeoutMs?: number) =>
  [
    { id: 'anthropic' as const, ...(primaryTimeoutMs ? { timeoutMs: primaryTimeoutMs } : {}) },
    { id: 'deepseek' as const },
  ] as const

const replies = (results: LlmResult[]) => results.map((r) => (r.ok ? r.provider : 'FAILED'))

describe('failover keeps every request answered', () => {
  test('primary answering 500 → all replies come from the fallback', async () => {
    // Breaker out of the way: this test is about retry + failover alone.
    const breaker = { failureThreshold: 1_000, windowSize: 1_000, minCalls: 1_000 }
    kit = await createGatewayKit({ providers: providers(), breaker })
    kit.fake.control('anthropic').fail(500)
    const results = await Promise.all(
      Array.from({ length: 20 }, () => kit!.gateway.complete(request())),
    )
    expect(replies(results)).toEqual(Array(20).fill('deepseek'))
    // One retry per request on the primary, after a backoff.
    expect(kit.fake.control('anthropic').requests.total).toBe(40)
    expect(kit.sleeps).toHaveLength(20)
  })

  test('primary stalling → abandoned at its timeout, the fallback answers within budget', async () => {
    kit = await createGatewayKit({ providers: providers(200), budgetMs: 2_000 })
    kit.fake.control('anthropic').stall('forever')
    const t0 = performance.now()
    const results = await Promise.all(
      Array.from({ length: 10 }, () => kit!.gateway.complete(request())),
    )
    const wall = performance.now() - t0
    expect(replies(results)).toEqual(Array(10).fill('deepseek'))
    expect(wall).toBeGreaterThanOrEqual(190)
    expect(wall).toBeLessThan(200 + 500)
    for (const r of results) if (r.ok) expect(r.latencyMs).toBeLessThan(700)
    // A stalled provider is not retried: that would spend the budget on a known-bad bet.
    expect(kit.fake.control('anthropic').requests.total).toBe(10)
    expect(kit.sleeps).toEqual([])
    await kit.gateway.drain()
    const timeouts = kit.records.filter((c) => c.error === 'timeout')
    expect(timeouts).toHaveLength(10)
    for (const c of timeouts) expect(c.latencyMs).toBeGreaterThanOrEqual(195)
  })

  test('streaming also fails over from a stalled primary; deltas carry the new attempt', async () => {
    kit = await createGatewayKit({ providers: providers(150) })
    kit.fake.control('anthropic').stall('forever')
    const seen: string[] = []
    const r = await kit.gateway.stream(request(), (_d, info) =>
      seen.push(`${info.provider}#${info.attempt}`),
    )
    expect(r).toMatchObject({ ok: true, provider: 'deepseek', attempts: 2 })
    expect(new Set(seen)).toEqual(new Set(['deepseek#2']))
    await kit.gateway.drain()
    expect(kit.records.map((c) => [c.provider, c.error, c.streamed])).toEqual([
      ['anthropic', 'timeout', true],
      ['deepseek', null, true],
    ])
  })

  test('a slow but steady stream is not cut off: the timeout is on silence, not length', async () => {
    kit = await createGatewayKit({ providers: providers(150) })
    kit.fake.control('anthropic').answer('您好，这款龙井是今年的明前茶，现货充足。')
    kit.fake.control('anthropic').pace(40)
    const t0 = performance.now()
    const r = await kit.gateway.stream(request(), () => {})
    expect(performance.now() - t0).toBeGreaterThan(150)
    expect(r).toMatchObject({ ok: true, provider: 'anthropic', attempts: 1 })
  })

  test('a stream that hangs mid-answer fails over; the partial attempt is voided and accounted', async () => {
    kit = await createGatewayKit({ providers: providers(150) })
    kit.fake.control('anthropic').answer('这段回答会在中途卡住不动')
    // message_start, content_block_start, ping, one delta, then silence.
    kit.fake.control('anthropic').pace(1, { stallAfter: 4 })
    kit.fake.control('deepseek').answer('由备用模型回答')
    const deltas: [string, number][] = []
    const r = await kit.gateway.stream(request(), (d, info) => deltas.push([d, info.attempt]))
    expect(r).toMatchObject({ ok: true, provider: 'deepseek', text: '由备用模型回答' })
    expect(deltas[0]).toEqual(['这段回答', 1])
    const final = deltas.filter(([, a]) => a === 2).map(([d]) => d)
    expect(final.join('')).toBe('由备用模型回答')
    await kit.gateway.drain()
    const [failed] = kit.records
    expect(failed).toMatchObject({
      provider: 'anthropic',
      ok: false,
      error: 'timeout',
      streamed: true,
    })
    // message_start had already reported the input tokens, so the failed attempt is costed.
    expect(failed?.inputTokens).toBeGreaterThan(0)
    expect(failed?.costUsd).toBeGreaterThan(0)
  })

  test('the request budget caps a slow primary even when its own timeout is longer', async () => {
    kit = await createGatewayKit({ providers: providers(10_000), budgetMs: 300 })
    kit.fake.control('anthropic').stall('forever')
    const t0 = performance.now()
    const r = await kit.gateway.complete(request())
    expect(performance.now() - t0).toBeLessThan(800)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.map((e) => e.kind)).toEqual(['timeout', 'timeout'])
  })

  test('429 with a Retry-After beyond the cap goes straight to the fallback', async () => {
    kit = await createGatewayKit({ providers: providers(), retries: 3 })
    kit.fake.control('anthropic').fail(429, { retryAfter: 30 })
    const results = await Promise.all(
      Array.from({ length: 5 }, () => kit!.gateway.complete(request())),
    )
    expect(replies(results)).toEqual(Array(5).fill('deepseek'))
    expect(kit.fake.control('anthropic').requests.total).toBe(5)
    expect(kit.sleeps).toEqual([])
  })

  test('a rate-limited primary sheds the excess to the fallback', async () => {
    kit = await createGatewayKit({ providers: providers() })
    kit.fake.control('anthropic').rateLimit(2, { windowMs: 60_000, retryAfter: 60 })
    const results: LlmResult[] = []
    for (let i = 0; i < 5; i++) results.push(await kit.gateway.complete(request()))
    expect(replies(results)).toEqual(['anthropic', 'anthropic', 'deepseek', 'deepseek', 'deepseek'])
  })

  test('connection refused is retried with backoff, then the fallback answers', async () => {
    kit = await createGatewayKit({ providers: [{ id: 'deepseek' }] })
    const sleeps: number[] = []
    const gw = createLlmGateway({
      providers: [
        { id: 'openai', apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1' },
        { id: 'deepseek', apiKey: 'k', baseURL: kit.fake.baseURL('deepseek', 'openai') },
      ],
      record: async () => {},
      logger: pino({ level: 'silent' }),
      sleep: async (ms) => void sleeps.push(ms),
    })
    const r = await gw.complete(request())
    expect(r).toMatchObject({ ok: true, provider: 'deepseek', attempts: 3 })
    expect(sleeps).toHaveLength(1)
  })
})

describe('Retry-After', () => {
  test('delta-seconds are honoured as the backoff floor', async () => {
    kit = await createGatewayKit({ providers: providers(), retries: 1 })
    kit.fake.control('anthropic').fail(429, { retryAfter: 1, times: 1 })
    const r = await kit.gateway.complete(request())
    expect(r).toMatchObject({ ok: true, provider: 'anthropic', attempts: 2 })
    // Full jitter with random()=0.5 would give 100 ms; the server asked for 1 s.
    expect(kit.sleeps).toEqual([1_000])
  })

  test('an HTTP date is honoured relative to the injected clock', async () => {
    kit = await createGatewayKit({ providers: providers(), retries: 1, manualClock: true })
    kit.fake
      .control('anthropic')
      .fail(503, { retryAfter: 'Sun, 01 Jun 2025 12:00:02 GMT', times: 1 })
    const r = await kit.gateway.complete(request())
    expect(r).toMatchObject({ ok: true, provider: 'anthropic' })
    expect(kit.sleeps).toEqual([2_000])
  })

  test('without Retry-After the backoff is full jitter, growing per retry', async () => {
    kit = await createGatewayKit({
      providers: [{ id: 'qwen' }],
      retries: 3,
      backoff: { baseMs: 100, maxMs: 1_000 },
    })
    kit.fake.control('qwen').fail(503, { times: 3 })
    const r = await kit.gateway.complete(request())
    expect(r.ok).toBe(true)
    expect(kit.sleeps).toEqual([50, 100, 200])
  })
})

describe('circuit breaker', () => {
  const primaryCalls = () => kit!.fake.control('anthropic').requests.total

  test('opens after repeated failures, skips the primary, and closes after a good trial', async () => {
    kit = await createGatewayKit({
      providers: providers(),
      retries: 0,
      manualClock: true,
      breaker: { failureThreshold: 3, coolDownMs: 10_000 },
    })
    kit.fake.control('anthropic').fail(500)
    for (let i = 0; i < 3; i++) await kit.gateway.complete(request())
    expect(primaryCalls()).toBe(3)
    expect(kit.gateway.status().map((s) => s.state)).toEqual(['open', 'closed'])

    const skipped = await kit.gateway.complete(request())
    expect(skipped).toMatchObject({ ok: true, provider: 'deepseek', attempts: 1 })
    expect(primaryCalls()).toBe(3)

    kit.clock.t += 10_000
    expect(kit.gateway.status()[0]?.state).toBe('half-open')
    kit.fake.control('anthropic').reset()
    const trial = await kit.gateway.complete(request())
    expect(trial).toMatchObject({ ok: true, provider: 'anthropic' })
    expect(kit.gateway.status()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 })
  })

  test('a failed trial reopens the breaker for another cool-down', async () => {
    kit = await createGatewayKit({
      providers: providers(),
      retries: 2,
      manualClock: true,
      breaker: { failureThreshold: 2, coolDownMs: 5_000 },
    })
    kit.fake.control('anthropic').fail(503)
    await kit.gateway.complete(request())
    expect(primaryCalls()).toBe(2) // the breaker opened mid-retries and cut them short
    kit.clock.t += 5_000
    await kit.gateway.complete(request())
    expect(primaryCalls()).toBe(3) // exactly one trial, no retries on top
    expect(kit.gateway.status()[0]?.state).toBe('open')
    kit.clock.t += 4_999
    await kit.gateway.complete(request())
    expect(primaryCalls()).toBe(3)
  })

  test('a skipped provider leaves no llm_calls record', async () => {
    kit = await createGatewayKit({
      providers: providers(),
      retries: 0,
      manualClock: true,
      breaker: { failureThreshold: 1 },
    })
    kit.fake.control('anthropic').fail(500)
    await kit.gateway.complete(request())
    const r = await kit.gateway.complete(request())
    expect(r).toMatchObject({ ok: true, provider: 'deepseek', attempts: 1 })
    await kit.gateway.drain()
    const byProvider = (p: string) => kit!.records.filter((c: LlmCallRecord) => c.provider === p)
    expect(byProvider('anthropic')).toHaveLength(1)
    expect(byProvider('deepseek')).toHaveLength(2)
  })
})

test('a caller abort stops the request without failing over or blaming the provider', async () => {
  kit = await createGatewayKit({ providers: providers(10_000) })
  kit.fake.control('anthropic').stall('forever')
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 50)
  const t0 = performance.now()
  const r = await kit.gateway.complete(request({ signal: ac.signal }))
  expect(performance.now() - t0).toBeLessThan(1_000)
  expect(r).toMatchObject({ ok: false, errors: [{ provider: 'anthropic', kind: 'aborted' }] })
  expect(kit.fake.control('deepseek').requests.total).toBe(0)
  expect(kit.gateway.status()[0]?.consecutiveFailures).toBe(0)
})
