/**
 * How much time the gateway itself adds to an LLM call, measured against the fake provider.
 *
 * Two measures, both reported:
 * - `p50_ms`/`p99_ms`: per call, the gateway's wall time minus the time it spent awaiting the
 *   SDK call (which includes the network). This is the code the gateway runs: breaker, timers,
 *   request mapping, accounting, the record hand-off. It is what the < 2 ms target is about.
 * - `paired_*`: per pair, gateway latency minus a direct SDK call made right before or after it
 *   (order alternates). Closer to end-to-end, but it also carries loopback and event-loop noise
 *   of two separate HTTP round trips, so its tail says more about the machine than the gateway.
 */
import OpenAI from 'openai'
import { pino } from 'pino'
import { startFakeProvider } from './fake-provider.ts'
import { createLlmGateway } from './gateway.ts'
import type { LlmRequest } from './types.ts'

/** Result of {@link measureGatewayOverhead}; all figures in milliseconds. */
export interface GatewayOverhead {
  readonly n: number
  readonly p50_ms: number
  readonly p99_ms: number
  readonly paired_p50_ms: number
  readonly paired_p99_ms: number
  readonly direct_p50_ms: number
  readonly gateway_p50_ms: number
}

/** Options of {@link measureGatewayOverhead}. */
export interface OverheadOptions {
  /** Measured calls (each also gets a direct SDK call). */
  readonly n: number
  /** Unmeasured calls first, so JIT and connection pools are warm. */
  readonly warmup?: number
  readonly stream?: boolean
}

/** Run `n` gateway calls and `n` direct SDK calls against a local fake provider. */
export async function measureGatewayOverhead(opts: OverheadOptions): Promise<GatewayOverhead> {
  const { n, warmup = Math.min(200, Math.max(20, n)), stream = false } = opts
  const fake = await startFakeProvider()
  try {
    fake.control('bench').answer('您好，这款茶叶现货充足，今天下单明天发货。')
    const baseURL = fake.baseURL('bench', 'openai')
    const inside: number[] = []
    const gateway = createLlmGateway({
      providers: [{ id: 'openai', apiKey: 'bench', baseURL }],
      record: async () => {},
      logger: pino({ level: 'silent' }),
      onTrace: (t) => inside.push(t.totalMs - t.awaitedMs),
    })
    const direct = new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 })
    const req: LlmRequest = {
      system: '你是一家茶叶店的客服。',
      messages: [{ role: 'user', content: '你好，龙井还有货吗？' }],
      purpose: 'bench',
    }
    const params = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system' as const, content: req.system },
        ...req.messages.map((m) => ({ role: m.role, content: m.content })),
      ],
    }

    const viaGateway = async (): Promise<number> => {
      const t0 = performance.now()
      const r = stream ? await gateway.stream(req, () => {}) : await gateway.complete(req)
      if (!r.ok) throw new Error(`gateway call failed: ${r.errors.map((e) => e.kind).join(',')}`)
      return performance.now() - t0
    }
    const viaSdk = async (): Promise<number> => {
      const t0 = performance.now()
      if (stream) {
        const s = await direct.chat.completions.create({
          ...params,
          stream: true,
          stream_options: { include_usage: true },
        })
        for await (const chunk of s) void chunk
      } else {
        await direct.chat.completions.create(params)
      }
      return performance.now() - t0
    }

    for (let i = 0; i < warmup; i++) {
      await viaSdk()
      await viaGateway()
    }
    inside.length = 0
    const gw: number[] = []
    const sdk: number[] = []
    for (let i = 0; i < n; i++) {
      // Alternate the order so neither side always gets the warmer connection.
      if (i % 2 === 0) {
        sdk.push(await viaSdk())
        gw.push(await viaGateway())
      } else {
        gw.push(await viaGateway())
        sdk.push(await viaSdk())
      }
    }
    await gateway.drain()
    const paired = gw.map((g, i) => g - (sdk[i] ?? 0))
    return {
      n,
      p50_ms: round(percentile(inside, 50)),
      p99_ms: round(percentile(inside, 99)),
      paired_p50_ms: round(percentile(paired, 50)),
      paired_p99_ms: round(percentile(paired, 99)),
      direct_p50_ms: round(percentile(sdk, 50)),
      gateway_p50_ms: round(percentile(gw, 50)),
    }
  } finally {
    await fake.close()
  }
}

/** Nearest-rank percentile. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN
}

const round = (x: number) => Math.round(x * 1000) / 1000
