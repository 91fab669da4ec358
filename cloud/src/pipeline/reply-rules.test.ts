import { afterEach, describe, expect, test } from 'vitest'
import { openPglite, type Db } from '@kefu/migrations'
import type { RuleSetInput } from '@kefu/match'
import { newId } from '@kefu/schema'
import { createLexicalEmbedder } from '../rag/embedder.ts'
import { createRetriever } from '../rag/search.ts'
import { applyChanges } from '../sync/apply-changes.ts'
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
let pipeline: PipelineHarness | null = null
afterEach(async () => {
  await pipeline?.stop()
  await db?.close()
  pipeline = null
  db = null
})

async function setup(body: RuleSetInput = {}) {
  db = await openPglite()
  await seedKnowledgeBase(db)
  await publishRules(db, body)
  return { db, agentId: await createAgent(db) }
}

const answered = (db: Db, ids: string[]) =>
  waitFor(async () =>
    (await Promise.all(ids.map((id) => answeredBy(db, id)))).every((a) => a !== null),
  )

describe('rules in the reply worker', () => {
  test('keyword replies, the sensitive-word filter and small talk', async () => {
    const { db, agentId } = await setup({
      keywordReplies: [
        {
          id: 'price-list',
          keywords: ['价格表'],
          reply: '价格表请看：https://shop.example/prices',
        },
        { id: 'contact', keywords: ['联系方式'], reply: '加我私人微信号 abc123 聊' },
      ],
      sensitiveWords: ['微信号'],
    })
    pipeline = await startPipeline(db)
    const [kw, blocked, hi, ok] = await Promise.all([1, 2, 3, 4].map(() => createChat(db, agentId)))
    const ids = [
      await customerSays(db, kw!, '价格表发我一下'),
      await customerSays(db, blocked!, '你们的联系方式'),
      await customerSays(db, hi!, '你好'),
      await customerSays(db, ok!, '好的'),
    ]
    await answered(db, ids)
    const [rulesRow] = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM rules WHERE status = 'published'`,
    )
    expect(await repliesOf(db, kw!.conversationId)).toEqual([
      expect.objectContaining({
        origin: 'rule',
        text: '价格表请看：https://shop.example/prices',
        confidence: 1,
        sources: [{ kind: 'rule', id: `${rulesRow!.id}:price-list` }],
      }),
    ])
    // A reply the filter blocks is not sent: the chat goes to a person instead.
    expect(await repliesOf(db, blocked!.conversationId)).toEqual([])
    expect((await conversationState(db, blocked!.conversationId)).state).toBe('waiting_human')
    expect((await repliesOf(db, hi!.conversationId))[0]).toMatchObject({
      origin: 'rule',
      text: '您好，请问有什么可以帮您？',
    })
    expect(await repliesOf(db, ok!.conversationId)).toEqual([])
    expect(await answeredBy(db, ids[3]!)).toBe('none')
    expect((await conversationState(db, ok!.conversationId)).state).toBe('bot')
  })

  test('in a group the bot answers only when mentioned', async () => {
    const { db, agentId } = await setup({ groupPolicy: { botNames: ['小美'] } })
    pipeline = await startPipeline(db)
    const group = await createChat(db, agentId, { kind: 'group', name: '老客户群' })
    const chatter = await customerSays(db, group, '有人知道怎么开发票吗')
    await answered(db, [chatter])
    expect(await answeredBy(db, chatter)).toBe('none')
    expect(await conversationState(db, group.conversationId)).toMatchObject({ state: 'unhandled' })
    const byName = await customerSays(db, group, '@小美 可以开发票吗')
    await answered(db, [byName])
    const flagged = await customerSays(db, group, '保修期是多久', { mentioned: true })
    await answered(db, [flagged])
    const replies = await repliesOf(db, group.conversationId)
    expect(replies.map((r) => r.origin)).toEqual(['faq', 'faq'])
    expect(replies.map((r) => r.message_ids)).toEqual([[byName], [flagged]])
  })

  test('outside business hours the notice goes out once, then the bot stays quiet', async () => {
    const { db, agentId } = await setup({ businessHours: { days: [], afterHoursAction: 'notice' } })
    pipeline = await startPipeline(db)
    const chat = await createChat(db, agentId)
    const first = await customerSays(db, chat, '可以开发票吗')
    await answered(db, [first])
    const second = await customerSays(db, chat, '保修期是多久')
    await answered(db, [second])
    const replies = await repliesOf(db, chat.conversationId)
    expect(replies).toEqual([expect.objectContaining({ origin: 'rule', message_ids: [first] })])
    expect(replies[0]!.text).toContain('非工作时间')
    expect(await answeredBy(db, second)).toBe('none')
  })

  test('a VIP customer is handed to a person, and graded A off the critical path', async () => {
    const { db, agentId } = await setup()
    pipeline = await startPipeline(db)
    const chat = await createChat(db, agentId)
    await applyChanges(db, agentId, [
      { id: newId(), kind: 'update_customer', pk: chat.customerId!, set: { tags: ['VIP'] } },
    ])
    const m = await customerSays(db, chat, '可以开发票吗')
    await answered(db, [m])
    expect(await repliesOf(db, chat.conversationId)).toEqual([])
    expect((await conversationState(db, chat.conversationId)).state).toBe('waiting_human')
    await waitFor(async () => {
      const [c] = await db.query<{ grade: string }>(
        `SELECT grade FROM customers WHERE id = $1::uuid`,
        [chat.customerId],
      )
      return c!.grade === 'A'
    })
  })

  test('a message whose answer keeps failing is handed off after the last attempt', async () => {
    const { db, agentId } = await setup()
    const real = createRetriever({ db, embedder: createLexicalEmbedder() })
    let searches = 0
    pipeline = await startPipeline(db, {
      maxAttempts: 2,
      retriever: {
        ...real,
        search: async () => {
          searches++
          throw new Error('search backend down')
        },
      },
    })
    const chat = await createChat(db, agentId)
    const m = await customerSays(db, chat, '定制商品能退吗')
    await waitFor(async () => (await answeredBy(db, m)) !== null)
    expect(searches).toBe(2)
    expect(await conversationState(db, chat.conversationId)).toMatchObject({
      state: 'waiting_human',
    })
    expect(pipeline.worker.status()).toMatchObject({
      running: true,
      lastError: 'search backend down',
    })
  })

  test('messages that arrived while no worker ran are answered when one starts', async () => {
    const { db, agentId } = await setup()
    const chat = await createChat(db, agentId)
    const m = await customerSays(db, chat, '可以开发票吗')
    pipeline = await startPipeline(db, { sweepMs: 60_000 })
    await waitFor(async () => (await answeredBy(db, m)) === 'cloud')
    expect(await repliesOf(db, chat.conversationId)).toHaveLength(1)
  })
})
