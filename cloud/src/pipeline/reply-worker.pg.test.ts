import { afterEach, describe, expect, test } from 'vitest'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createTestPostgres, openPostgres, type Db, type TestPostgres } from '@kefu/migrations'
import { createLexicalEmbedder } from '../rag/embedder.ts'
import { createRetriever } from '../rag/search.ts'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'
import { createReplyWorker, type ReplyWorkerOptions } from './reply-worker.ts'
import {
  answeredBy,
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

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
})

async function database(): Promise<TestPostgres> {
  const t = await createTestPostgres({ max: 20 })
  cleanups.push(() => t.drop())
  await seedKnowledgeBase(t.db)
  await publishRules(t.db)
  return t
}

/** A cloud instance (HTTP server, log tail, workers) running one reply worker. */
async function cloudWith(db: Db, worker: Partial<ReplyWorkerOptions> = {}): Promise<TestCloud> {
  const cloud = await startTestCloud({
    db,
    workers: (ctx) => [
      createReplyWorker({
        debounceMs: 0,
        sweepMs: 300,
        retryMs: 50,
        ...worker,
        ...ctx,
        retriever: createRetriever({ db: ctx.db, embedder: createLexicalEmbedder() }),
        gateway: null,
      }),
    ],
  })
  cleanups.push(() => cloud.close())
  return cloud
}

const QUESTIONS = [
  '可以开发票吗',
  '保修期是多久',
  '大件家具安装收费吗',
  '你们的火箭能飞到月球吗',
  '积分有什么用',
  '退款多久到账',
]

async function pending(db: Db): Promise<number> {
  const [r] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages WHERE direction = 'in' AND answered_by IS NULL`,
  )
  return r!.n
}

/** Every inbound message: answered_by, and how many replies list it. */
async function outcomes(db: Db) {
  return db.query<{ id: string; answered_by: string | null; replies: number }>(
    `SELECT m.id::text AS id, m.answered_by,
            (SELECT count(*)::int FROM replies r WHERE m.id = ANY(r.message_ids)) AS replies
       FROM messages m WHERE m.direction = 'in'`,
  )
}

describe('reply worker on Postgres', () => {
  test.each([
    ['each with its own lease', 'instance-a', 'instance-b'],
    // Both may claim every chat at once: only the commit's row-locked check stands between them.
    ['sharing one lease name, so only the commit guard separates them', 'same', 'same'],
  ])(
    'two cloud instances racing over many messages answer each exactly once (%s)',
    async (_name, idA, idB) => {
      const t = await database()
      const second = openPostgres({ url: t.url, max: 10 })
      cleanups.push(() => second.close())
      const a = await cloudWith(t.db, { instanceId: idA })
      const b = await cloudWith(second, { instanceId: idB })
      const agentId = await createAgent(t.db)
      const chats = await Promise.all(Array.from({ length: 40 }, () => createChat(t.db, agentId)))
      // Five turns per chat, sent as agents send them: many chats at once, turns in order.
      for (let turn = 0; turn < 5; turn++)
        await Promise.all(
          chats.map((c, i) => customerSays(t.db, c, QUESTIONS[(i + turn) % QUESTIONS.length]!)),
        )
      await waitFor(async () => (await pending(t.db)) === 0, {
        timeoutMs: 30_000,
        what: 'every message answered',
      })
      await new Promise((r) => setTimeout(r, 500)) // let any would-be duplicate land

      const rows = await outcomes(t.db)
      expect(rows).toHaveLength(200)
      for (const r of rows)
        expect({ id: r.id, replies: r.replies }).toEqual({
          id: r.id,
          replies: r.answered_by === 'cloud' ? 1 : 0,
        })
      const written = async (c: TestCloud) =>
        (await c.metrics.registry.getSingleMetric('replies_written_total')!.get()).values.reduce(
          (s, v) => s + v.value,
          0,
        )
      const [byA, byB] = [await written(a), await written(b)]
      const [total] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM replies`)
      expect(byA + byB).toBe(total!.n)
      // Chats that reach the unknown question go to a person and stay silent afterwards.
      expect(total!.n).toBeGreaterThan(40)
      expect(byA).toBeGreaterThan(0)
      expect(byB).toBeGreaterThan(0)
      expect(await t.db.query(`SELECT * FROM reply_claims`)).toEqual([])
    },
  )

  test('a worker that fails inside the commit transaction answers the message later, once', async () => {
    const t = await database()
    let crashes = 0
    const pipeline: PipelineHarness = await startPipeline(t.db, {
      hooks: {
        inCommit: async () => {
          if (crashes++ === 0) throw new Error('simulated crash after the reply insert')
        },
      },
    })
    cleanups.push(() => pipeline.stop())
    const agentId = await createAgent(t.db)
    const chat = await createChat(t.db, agentId)
    const m = await customerSays(t.db, chat, '可以开发票吗')
    await waitFor(async () => (await answeredBy(t.db, m)) === 'cloud')
    await new Promise((r) => setTimeout(r, 400))
    expect(crashes).toBe(2)
    expect((await repliesOf(t.db, chat.conversationId)).map((r) => r.message_ids)).toEqual([[m]])
  })

  test('a takeover holding the conversation row while the reply commits wins: no reply is inserted', async () => {
    const t = await database()
    const agentId = await createAgent(t.db)
    const chat = await createChat(t.db, agentId)
    let takeover: Promise<void> | null = null
    const pipeline: PipelineHarness = await startPipeline(t.db, {
      hooks: {
        // The agent's takeover transaction has updated the row but not committed yet when the
        // worker's commit starts: the commit waits for the row lock, then sees the person.
        beforeCommit: async () => {
          let locked!: () => void
          const updated = new Promise<void>((r) => (locked = r))
          takeover = t.db.transaction(async (tx) => {
            await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [`agent:${agentId}`])
            await tx.query(
              `UPDATE conversations SET state = 'human', handler = 'wechat',
                      bot_paused_until = now() + interval '30 minutes' WHERE id = $1::uuid`,
              [chat.conversationId],
            )
            locked()
            await new Promise((r) => setTimeout(r, 300))
          })
          await updated
        },
      },
    })
    cleanups.push(() => pipeline.stop())
    const m = await customerSays(t.db, chat, '保修期是多久')
    await waitFor(async () => (await answeredBy(t.db, m)) !== null)
    await takeover
    expect(await repliesOf(t.db, chat.conversationId)).toEqual([])
    expect(await answeredBy(t.db, m)).toBe('none')
    const [c] = await t.db.query<{ state: string }>(
      `SELECT state FROM conversations WHERE id = $1::uuid`,
      [chat.conversationId],
    )
    expect(c!.state).toBe('human')
  })

  test('a worker process killed mid-message: another instance answers it once the lease expires', async () => {
    const t = await database()
    const agentId = await createAgent(t.db)
    const chat = await createChat(t.db, agentId)
    const m = await customerSays(t.db, chat, '保修期是多久')

    const script = fileURLToPath(new URL('./crashing-worker.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, t.url, '1500'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, s) => resolve(s)),
    )
    expect(signal).toBe('SIGKILL')
    expect(out).toContain('dying with 1 uncommitted replies')
    // Its transaction died with it; its lease lives on until it expires.
    expect(await repliesOf(t.db, chat.conversationId)).toEqual([])
    expect(await answeredBy(t.db, m)).toBeNull()
    const [claim] = await t.db.query<{ owner: string; live: boolean }>(
      `SELECT owner, lease_until > now() AS live FROM reply_claims WHERE conversation_id = $1::uuid`,
      [chat.conversationId],
    )
    expect(claim).toEqual({ owner: 'crashing-worker', live: true })

    await cloudWith(t.db, { sweepMs: 200 })
    await waitFor(async () => (await answeredBy(t.db, m)) === 'cloud', { timeoutMs: 10_000 })
    await new Promise((r) => setTimeout(r, 400))
    expect((await repliesOf(t.db, chat.conversationId)).map((r) => r.message_ids)).toEqual([[m]])
    expect(await t.db.query(`SELECT * FROM reply_claims`)).toEqual([])
  })
})
