import { afterEach, describe, expect, test } from 'vitest'
import { pino } from 'pino'
import { openPglite, type Db } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import { startFakeProvider, type FakeProviderServer } from '../llm/fake-provider.ts'
import { createLlmGateway, type LlmGateway } from '../llm/gateway.ts'
import { PROVIDERS, type ProviderId } from '../llm/providers.ts'
import { applyChanges } from '../sync/apply-changes.ts'
import { llmCallRecorder } from './llm-calls.ts'
import { HANDOFF_MARK } from './reply-prompt.ts'
import {
  answeredBy,
  conversationState,
  createAgent,
  createChat,
  customerSays,
  publishRules,
  repliesOf,
  seedKnowledgeBase,
  startPipeline,
  waitFor,
  type PipelineHarness,
} from './reply-test-kit.ts'

let db: Db | null = null
let fake: FakeProviderServer | null = null
let gateway: LlmGateway | null = null
let pipeline: PipelineHarness | null = null
afterEach(async () => {
  await pipeline?.stop()
  await gateway?.drain()
  await fake?.close()
  await db?.close()
  pipeline = gateway = fake = db = null
})

/** Questions only the documents answer: no FAQ fast path, retrieval good enough for the model. */
const DOC_QUESTIONS = [
  '拆旧家具要另外收费吗',
  '会员怎么升级金卡',
  '退货地址在哪',
  '定制商品能退吗',
  '家具安装要钱吗',
]

async function setup(
  providers: { id: ProviderId; timeoutMs?: number }[],
  breakerCoolDownMs = 30_000,
) {
  db = await openPglite()
  await seedKnowledgeBase(db)
  await publishRules(db)
  fake = await startFakeProvider()
  const f = fake
  gateway = createLlmGateway({
    providers: providers.map((p) => ({
      id: p.id,
      apiKey: `key-${p.id}`,
      baseURL: f.baseURL(p.id, PROVIDERS[p.id].wire),
      ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
    })),
    record: llmCallRecorder(db),
    logger: pino({ level: 'silent' }),
    breaker: { coolDownMs: breakerCoolDownMs },
    backoff: { baseMs: 10, maxMs: 50 },
  })
  const agentId = await createAgent(db)
  return { db, fake, gateway, agentId }
}

/** Milliseconds from a message's commit to the commit of the reply answering it. */
async function replyLatencies(db: Db): Promise<number[]> {
  const rows = await db.query<{ ms: number }>(
    `WITH committed AS (
       SELECT l.tbl, l.pk, t.committed_at FROM sync_log l JOIN sync_tx t ON t.txid = l.txid
        WHERE l.op = 'insert' AND l.tbl IN ('messages', 'replies'))
     SELECT (extract(epoch from rc.committed_at - mc.committed_at) * 1000)::float8 AS ms
       FROM replies r CROSS JOIN LATERAL unnest(r.message_ids) AS mid
       JOIN committed rc ON rc.tbl = 'replies' AND rc.pk = r.id::text
       JOIN committed mc ON mc.tbl = 'messages' AND mc.pk = mid::text`,
  )
  return rows.map((r) => Number(r.ms))
}

describe('reply worker with an LLM (PGlite + fake provider)', () => {
  test('a stalling primary: every message is answered by the fallback within its timeout; the breaker opens, then closes', async () => {
    const { db, fake, gateway, agentId } = await setup(
      [{ id: 'deepseek', timeoutMs: 300 }, { id: 'qwen' }],
      // Long enough to outlast both waves on a busy machine (the breaker must still be open).
      4_000,
    )
    fake.control('deepseek').stall('forever')
    fake.control('qwen').answer('您好，这个问题由备用模型回答。')
    pipeline = await startPipeline(db, { gateway })
    const chats = await Promise.all(Array.from({ length: 8 }, () => createChat(db, agentId)))
    const ids: string[] = []
    for (const [i, chat] of chats.entries())
      ids.push(await customerSays(db, chat, DOC_QUESTIONS[i % DOC_QUESTIONS.length]!))
    await waitFor(
      async () => (await Promise.all(ids.map((id) => answeredBy(db, id)))).every((a) => a !== null),
      {
        timeoutMs: 15_000,
      },
    )
    for (const chat of chats) {
      const [r] = await repliesOf(db, chat.conversationId)
      expect(r).toMatchObject({ origin: 'cloud_ai', text: '您好，这个问题由备用模型回答。' })
    }
    // Within the primary's 300 ms timeout plus the fallback's answer (generous for a busy CI
    // machine; the stall itself never ends and the request budget is 30 s).
    for (const ms of await replyLatencies(db)) expect(ms).toBeLessThan(300 + 2_500)
    expect(gateway.status()[0]).toMatchObject({ provider: 'deepseek', state: 'open' })
    // Five failures in a row open the breaker; requests already under way also time out.
    // (Counted on the gateway's side: under load an aborted request may never reach the fake.)
    const attempts = async () => {
      await gateway.drain()
      return db.query<{ provider: string; ok: boolean; error: string | null; n: number }>(
        `SELECT provider, ok, error, count(*)::int AS n FROM llm_calls GROUP BY 1, 2, 3 ORDER BY 1, 2`,
      )
    }
    const firstWave = await attempts()
    const primaryCalls = firstWave.find((c) => c.provider === 'deepseek')!.n
    expect(primaryCalls).toBeGreaterThanOrEqual(5)

    // With the breaker open the primary is skipped without a call: no timeout to sit out.
    const second = await Promise.all(Array.from({ length: 4 }, () => createChat(db, agentId)))
    const more: string[] = []
    for (const [i, chat] of second.entries())
      more.push(await customerSays(db, chat, DOC_QUESTIONS[i]!))
    await waitFor(async () =>
      (await Promise.all(more.map((id) => answeredBy(db, id)))).every((a) => a === 'cloud'),
    )
    expect(await replyLatencies(db)).toHaveLength(12)
    expect(await attempts()).toEqual([
      { provider: 'deepseek', ok: false, error: 'timeout', n: primaryCalls },
      { provider: 'qwen', ok: true, error: null, n: 12 },
    ])

    // The primary recovers; after the cool-down one trial call closes the breaker again.
    fake.control('deepseek').reset()
    fake.control('deepseek').answer('您好，主模型恢复了。')
    await new Promise((r) => setTimeout(r, 4_100))
    const back = await createChat(db, agentId)
    await customerSays(db, back, '会员怎么升级金卡')
    const [r] = await waitFor(async () => {
      const rs = await repliesOf(db, back.conversationId)
      return rs.length > 0 && rs
    })
    expect(r!.text).toBe('您好，主模型恢复了。')
    expect(gateway.status()[0]).toMatchObject({ provider: 'deepseek', state: 'closed' })
  })

  test('the prompt holds the passages, the customer profile and the last turns; the reply records its sources', async () => {
    const { db, fake, gateway, agentId } = await setup([{ id: 'deepseek' }])
    fake.control('deepseek').answer('拆旧需要按师傅现场报价收费哦。')
    pipeline = await startPipeline(db, { gateway })
    const chat = await createChat(db, agentId, { name: '张三' })
    await applyChanges(db, agentId, [
      { id: newId(), kind: 'update_customer', pk: chat.customerId!, set: { tags: ['老客户'] } },
    ])
    await customerSays(db, chat, '可以开发票吗')
    await waitFor(async () => (await repliesOf(db, chat.conversationId)).length === 1)
    const m = await customerSays(db, chat, '拆旧家具要另外收费吗')
    const replies = await waitFor(async () => {
      const rs = await repliesOf(db, chat.conversationId)
      return rs.length === 2 && rs
    })
    const req = fake.control('deepseek').lastRequest!
    expect(req.system).toContain('称呼：张三')
    expect(req.system).toContain('等级：C')
    expect(req.system).toContain('标签：老客户')
    expect(req.system).toContain('[1] 售后服务政策 > 家具安装')
    expect(req.system).toContain('拆旧、打孔')
    expect(req.messages).toEqual([
      { role: 'user', content: '可以开发票吗' },
      { role: 'assistant', content: '支持开具电子发票，确认收货后在订单详情申请开票。' },
      { role: 'user', content: '拆旧家具要另外收费吗' },
    ])
    const r = replies[1]!
    expect(r).toMatchObject({
      origin: 'cloud_ai',
      text: '拆旧需要按师傅现场报价收费哦。',
      message_ids: [m],
    })
    expect(r.confidence).toBeGreaterThan(0.5)
    expect(r.sources[0]).toMatchObject({ kind: 'kb' })
    await gateway.drain()
    const [call] = await db.query<{ message_id: string; purpose: string; ok: boolean }>(
      `SELECT message_id::text AS message_id, purpose, ok FROM llm_calls`,
    )
    expect(call).toEqual({ message_id: m, purpose: 'reply', ok: true })
    const observed = await pipeline.metrics.registry.getSingleMetricAsString(
      'ai_request_duration_seconds',
    )
    expect(observed).toContain(
      'ai_request_duration_seconds_count{provider="deepseek",outcome="ok"} 1',
    )
    const rag = await pipeline.metrics.registry.getSingleMetricAsString(
      'rag_search_duration_seconds',
    )
    expect(rag).toMatch(/rag_search_duration_seconds_count \d+/)
  })

  test('a model that does not know hands the chat to a person instead of inventing', async () => {
    const { db, fake, gateway, agentId } = await setup([{ id: 'deepseek' }])
    fake.control('deepseek').answer(HANDOFF_MARK)
    pipeline = await startPipeline(db, { gateway })
    const a = await createChat(db, agentId)
    const b = await createChat(db, agentId)
    const unsure = await customerSays(db, a, '定制商品能退吗')
    // Retrieval too weak to ground anything: the model is not even asked.
    const weak = await customerSays(db, b, '你们的火箭能飞到月球吗')
    await waitFor(async () => (await answeredBy(db, unsure)) && (await answeredBy(db, weak)))
    for (const chat of [a, b]) {
      expect(await repliesOf(db, chat.conversationId)).toEqual([])
      expect((await conversationState(db, chat.conversationId)).state).toBe('waiting_human')
    }
    expect(fake.control('deepseek').requests.chat).toBe(1)
  })

  test('every provider failing: the knowledge base still answers what it can', async () => {
    const { db, fake, gateway, agentId } = await setup([{ id: 'deepseek' }])
    fake.control('deepseek').fail(500)
    pipeline = await startPipeline(db, { gateway })
    const chat = await createChat(db, agentId)
    await customerSays(db, chat, '大件家具安装收费吗')
    const [r] = await waitFor(async () => {
      const rs = await repliesOf(db, chat.conversationId)
      return rs.length > 0 && rs
    })
    expect(r!.text).toContain('免费上门安装')
  })
})
