/**
 * Test and benchmark wiring: a fake provider server plus a gateway pointed at it, with
 * injected sleep (recorded, instant) and optionally a hand-driven clock.
 */
import { pino } from 'pino'
import { startFakeProvider, type FakeProviderServer } from './fake-provider.ts'
import { createLlmGateway, type LlmGateway, type LlmGatewayOptions } from './gateway.ts'
import { PROVIDERS, type ProviderId } from './providers.ts'
import type { LlmCallRecord, LlmRequest } from './types.ts'

/** What a test gets back. */
export interface GatewayKit {
  readonly fake: FakeProviderServer
  readonly gateway: LlmGateway
  /** Records handed to `record`, in order. */
  readonly records: LlmCallRecord[]
  /** Every backoff the gateway asked to sleep, in ms. */
  readonly sleeps: number[]
  /** The injected clock; only moves when a test sets `clock.t` (if `manualClock`). */
  readonly clock: { t: number }
  close(): Promise<void>
}

/** Options: providers in priority order plus any gateway option to override. */
export interface KitOptions extends Partial<Omit<LlmGatewayOptions, 'providers'>> {
  readonly providers: readonly { readonly id: ProviderId; readonly timeoutMs?: number }[]
  readonly manualClock?: boolean
}

/** A plain customer-service request. */
export function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    system: '你是一家茶叶店的客服。',
    messages: [{ role: 'user', content: '你好，龙井还有货吗？' }],
    purpose: 'reply',
    messageId: '00000000-0000-4000-8000-000000000001',
    ...overrides,
  }
}

/** Start a fake server and a gateway whose providers all live on it (fake name = provider id). */
export async function createGatewayKit(opts: KitOptions): Promise<GatewayKit> {
  const fake = await startFakeProvider()
  const records: LlmCallRecord[] = []
  const sleeps: number[] = []
  const clock = { t: Date.parse('2025-06-01T12:00:00Z') }
  const { providers, manualClock, ...rest } = opts
  const gateway = createLlmGateway({
    providers: providers.map((p) => ({
      id: p.id,
      apiKey: `test-key-${p.id}`,
      baseURL: fake.baseURL(p.id, PROVIDERS[p.id].wire),
      ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}),
    })),
    record: async (call) => void records.push(call),
    logger: pino({ level: 'silent' }),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...(manualClock ? { now: () => clock.t } : {}),
    ...rest,
  })
  return {
    fake,
    gateway,
    records,
    sleeps,
    clock,
    close: async () => {
      await gateway.drain()
      await fake.close()
    },
  }
}
