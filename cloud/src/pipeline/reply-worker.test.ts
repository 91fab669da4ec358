import { afterEach, describe, expect, test } from 'vitest'
import { openPglite, type Db } from '@kefu/migrations'
import {
  answeredBy,
  answeredLocally,
  conversationState,
  createAgent,
  createChat,
  customerSays,
  publishRules,
  repliesOf,
  seedKnowledgeBase,
  startPipeline,
  takeOver,
  waitFor,
  type PipelineHarness,
} from './reply-test-kit.ts'
import { REPLY_WORKER_ORIGIN } from './reply-types.ts'

let db: Db | null = null
let pipeline: PipelineHarness | null = null
afterEach(async () => {
  await pipeline?.stop()
  await db?.close()
  pipeline = null
  db = null
})

async function setup(body = {}) {
  db = await openPglite()
  const faq = await seedKnowledgeBase(db)
  await publishRules(db, body)
  const agentId = await createAgent(db)
  return { db, faq, agentId }
}

const settle = async () => {
  await new Promise((r) => setTimeout(r, 150))
  await pipeline!.worker.sweep()
  await pipeline!.worker.idle()
}

describe('reply worker (PGlite)', () => {
  test('fragments within the debounce window get one reply listing them all', async () => {
    const { db, faq, agentId } = await setup()
    // Wide enough that three back-to-back writes land in it even on a busy machine.
    pipeline = await startPipeline(db, { debounceMs: 1_500 })
    const chat = await createChat(db, agentId)
    const ids = [
      await customerSays(db, chat, '亲'),
      await customerSays(db, chat, '退款多久到账啊'),
      await customerSays(db, chat, '？'),
    ]
    const [reply] = await waitFor(async () => {
      const r = await repliesOf(db, chat.conversationId)
      return r.length > 0 && r
    })
    expect(reply!.message_ids).toEqual(ids)
    expect(reply).toMatchObject({ origin: 'faq', status: 'queued' })
    expect(reply!.sources).toEqual([
      expect.objectContaining({ kind: 'faq', id: faq['refund-time'] }),
    ])
    for (const id of ids) expect(await answeredBy(db, id)).toBe('cloud')
    expect((await conversationState(db, chat.conversationId)).state).toBe('bot')

    // A fragment after the reply is a new turn, answered on its own.
    const later = await customerSays(db, chat, '可以开发票吗')
    const replies = await waitFor(async () => {
      const r = await repliesOf(db, chat.conversationId)
      return r.length === 2 && r
    })
    expect(replies[1]!.message_ids).toEqual([later])
    await settle()
    expect(await repliesOf(db, chat.conversationId)).toHaveLength(2)
  })

  test('with no LLM provider: FAQ questions are answered, the rest handed off', async () => {
    const { db, agentId } = await setup()
    pipeline = await startPipeline(db, { gateway: null })
    const a = await createChat(db, agentId)
    const b = await createChat(db, agentId)
    const c = await createChat(db, agentId)
    const faqMsg = await customerSays(db, a, '可以开发票吗')
    const unknown = await customerSays(db, b, '你们的火箭能飞到月球吗')
    const doc = await customerSays(db, c, '大件家具安装收费吗')
    await waitFor(
      async () =>
        (await answeredBy(db, unknown)) &&
        (await answeredBy(db, faqMsg)) &&
        (await answeredBy(db, doc)),
    )

    const [fa] = await repliesOf(db, a.conversationId)
    expect(fa).toMatchObject({
      origin: 'faq',
      text: '支持开具电子发票，确认收货后在订单详情申请开票。',
    })
    expect(await repliesOf(db, b.conversationId)).toEqual([])
    expect(await answeredBy(db, unknown)).toBe('none')
    expect(await conversationState(db, b.conversationId)).toMatchObject({ state: 'waiting_human' })
    // A passage of a document, extracted: the heading path is not part of the answer.
    const [d] = await repliesOf(db, c.conversationId)
    expect(d!.origin).toBe('cloud_ai')
    expect(d!.text).toContain('免费上门安装')
    expect(d!.text).not.toContain('售后服务政策')
    expect(d!.sources[0]).toMatchObject({ kind: 'kb' })
  })

  test('messages an agent already answered are skipped', async () => {
    const { db, agentId } = await setup()
    const chat = await createChat(db, agentId)
    const local = await customerSays(db, chat, '可以开发票吗', { answeredBy: 'local' })
    let raced = ''
    pipeline = await startPipeline(db, {
      // The agent answers offline while the cloud is composing: the cloud's answer is dropped.
      hooks: { beforeCommit: async () => answeredLocally(db, chat, raced) },
    })
    raced = await customerSays(db, chat, '保修期是多久')
    await waitFor(async () => (await answeredBy(db, raced)) !== null)
    await settle()
    expect(await repliesOf(db, chat.conversationId)).toEqual([])
    expect(await answeredBy(db, local)).toBe('local')
    expect(await answeredBy(db, raced)).toBe('local')
  })

  test('the worker ignores its own writes', async () => {
    const { db, agentId } = await setup()
    pipeline = await startPipeline(db)
    const chat = await createChat(db, agentId)
    // An inbound row written under the worker's own origin is not something to answer.
    const own = (
      await db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [REPLY_WORKER_ORIGIN])
        return tx.query<{ id: string }>(
          `INSERT INTO messages (id, conversation_id, agent_id, direction, text, captured_at, dedup_key, origin)
           VALUES (gen_random_uuid(), $1::uuid, $2::uuid, 'in', '可以开发票吗', now(), 'own-1', 'cloud') RETURNING id::text AS id`,
          [chat.conversationId, agentId],
        )
      })
    )[0]!.id
    const m = await customerSays(db, chat, '保修期是多久')
    await waitFor(async () => (await repliesOf(db, chat.conversationId)).length === 1)
    await settle()
    const replies = await repliesOf(db, chat.conversationId)
    expect(replies).toHaveLength(1)
    expect(replies[0]!.message_ids).toEqual([m])
    expect(await answeredBy(db, own)).toBeNull()
    // Its writes carry its origin in the change log (that is how it recognises them).
    const origins = await db.query<{ tbl: string; origin: string }>(
      `SELECT DISTINCT tbl, origin FROM sync_log WHERE tbl IN ('replies', 'conversations') AND origin = $1 ORDER BY tbl`,
      [REPLY_WORKER_ORIGIN],
    )
    expect(origins.map((o) => o.tbl)).toEqual(['conversations', 'replies'])
  })

  test('a chat a person holds gets no bot reply, even one composed before the takeover', async () => {
    const { db, agentId } = await setup()
    const held = await createChat(db, agentId)
    await takeOver(db, held)
    const racing = await createChat(db, agentId)
    pipeline = await startPipeline(db, {
      hooks: {
        // The takeover commits between retrieval and the insert.
        beforeCommit: async (conv) => {
          if (conv === racing.conversationId) await takeOver(db, racing)
        },
      },
    })
    const m1 = await customerSays(db, held, '可以开发票吗')
    const m2 = await customerSays(db, racing, '保修期是多久')
    await waitFor(async () => (await answeredBy(db, m1)) && (await answeredBy(db, m2)))
    await settle()
    for (const chat of [held, racing]) {
      expect(await repliesOf(db, chat.conversationId)).toEqual([])
      expect(await conversationState(db, chat.conversationId)).toEqual({
        state: 'human',
        handler: 'wechat',
      })
    }
    expect(await answeredBy(db, m1)).toBe('none')
    expect(await answeredBy(db, m2)).toBe('none')
  })
})
