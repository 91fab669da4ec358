/**
 * The sync spine end to end: a real cloud on Postgres, real agents with PGlite replicas
 * through the official pglite-sync, the durable outbox and uplink.
 */
import { afterEach, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { createKefuAgent, sharedSecret, type KefuAgent } from '@kefu/agent'
import { startTestCloud, AGENT_SECRET, type TestCloud } from '../cloud/src/testing/test-cloud.ts'
import type { CapturedMessage } from '../agent/src/driver/driver.ts'
import { until } from './support/until.ts'
import { openReplica } from '../agent/src/sync/replica.ts'
import { AGENT_SHAPE_GROUPS } from '@kefu/sync-rules'

const logger = pino({ level: 'silent' })
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  cleanups.length = 0
})

function agentFor(
  c: TestCloud,
  agentId: string,
  dataDir = mkdtempSync(join(tmpdir(), 'kefu-agent-')),
  key = randomBytes(32),
): KefuAgent & { dataDir: string; key: Buffer } {
  const a = createKefuAgent({
    cloudUrl: c.url,
    agentId,
    credentials: sharedSecret(agentId, AGENT_SECRET),
    dataDir,
    key,
    logger,
  })
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
  return Object.assign(a, { dataDir, key })
}

const bubble = (chat: string, text: string, seq: number): CapturedMessage => ({
  chatKey: chat,
  chatTitle: chat,
  isGroup: false,
  side: 'customer',
  sender: null,
  text,
  seenAt: new Date(),
  seq,
  mentioned: false,
})

test('cloud rows reach exactly the right replicas; agent rows reach the cloud', async () => {
  const c = await startTestCloud({ engine: 'postgres' })
  cleanups.push(() => c.destroy())
  const idA = await c.createAgent('A')
  const idB = await c.createAgent('B')
  const a = agentFor(c, idA)
  const b = agentFor(c, idB)
  cleanups.push(
    () => a.stop({ checkpoint: false }),
    () => b.stop({ checkpoint: false }),
  )
  await a.start()
  await b.start()
  // Agent A captures two customer messages: they reach the cloud.
  expect(await a.capture([bubble('张三', '你好', 1), bubble('张三', '我的快递到哪了', 2)])).toBe(2)
  await until(
    async () =>
      (await c.db.query(`SELECT 1 FROM messages WHERE agent_id = $1::uuid`, [idA])).length === 2,
    15_000,
    'messages in cloud',
  )
  // The cloud answers: the reply reaches A's replica only.
  const conv = await c.db.query<{ id: string }>(
    `SELECT id FROM conversations WHERE agent_id = $1::uuid`,
    [idA],
  )
  const replyId = newId()
  await c.db.query(
    `INSERT INTO replies (id, conversation_id, agent_id, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, '在路上了', 'cloud_ai')`,
    [replyId, conv[0]!.id, idA],
  )
  await c.db.query(
    `INSERT INTO faq (id, question, answer) VALUES ($1::uuid, '发货时间', '48小时内发货')`,
    [newId()],
  )
  await until(
    async () =>
      (await a.replica.db.query(`SELECT 1 FROM replies WHERE id = $1::uuid`, [replyId])).length ===
      1,
    15_000,
    'reply in A',
  )
  await until(
    async () => (await b.replica.db.query(`SELECT 1 FROM faq`)).length === 1,
    15_000,
    'faq in B',
  )
  // The synced rows replaced A's optimistic ones.
  await until(
    async () => (await a.replica.db.query(`SELECT 1 FROM messages_local`)).length === 0,
    15_000,
    'local rows replaced',
  )
  expect((await a.replica.db.query(`SELECT 1 FROM messages`)).length).toBe(2)
  // B sees nothing of A's.
  for (const t of ['messages', 'replies', 'conversations', 'customers'])
    expect((await b.replica.db.query(`SELECT 1 FROM ${t}`)).length, t).toBe(0)
  expect(a.status().outboxDepth).toBe(0)
})

test('offline for a while: capture continues, the outbox drains in order on reconnect, nothing twice', async () => {
  const c = await startTestCloud({ engine: 'postgres' })
  const port = c.port
  const idA = await c.createAgent('A')
  await c.close() // the cloud is down; its database stays
  cleanups.push(() => c.dropDb())
  const a = agentFor(c, idA)
  cleanups.push(() => a.stop({ checkpoint: false }))
  await a.start()
  for (let i = 0; i < 300; i++) await a.capture([bubble(`客户${i % 7}`, `第${i}条消息`, i)])
  expect(a.status().outboxDepth).toBeGreaterThan(300)
  const c2 = await startTestCloud({ db: c.db, port })
  cleanups.push(() => c2.close())
  await until(() => a.status().outboxDepth === 0, 60_000, 'outbox drained')
  const rows = await c2.db.query<{ text: string }>(
    `SELECT text FROM messages ORDER BY created_at, captured_at`,
  )
  expect(rows).toHaveLength(300)
  expect(new Set(rows.map((r) => r.text)).size).toBe(300)
})

test('a replica synced under an older grouping of shapes syncs on after an upgrade regroups them', async () => {
  const c = await startTestCloud({ engine: 'postgres' })
  cleanups.push(() => c.destroy())
  const id = await c.createAgent('A')
  const faq = async (q: string) =>
    c.db.query(`INSERT INTO faq (id, question, answer) VALUES ($1::uuid, $2, '答')`, [newId(), q])
  await faq('一')
  await faq('二')
  await c.db.query(
    `INSERT INTO rules (id, version, status, body, published_at) VALUES ($1::uuid, 1, 'published', '{}'::jsonb, now())`,
    [newId()],
  )
  const r = await openReplica({ logger })
  cleanups.push(() => r.close())
  const headers = await sharedSecret(id, AGENT_SECRET).headers()
  // An earlier release applied the FAQ and the rules as one group.
  const old = await r.pg.sync.syncShapesToTables({
    key: 'kefu-agent:knowledge',
    shapes: Object.fromEntries(
      ['faq', 'rules'].map((table) => [
        table,
        { shape: { url: `${c.url}/v1/shape`, params: { table }, headers }, table, primaryKey: ['id'] },
      ]),
    ),
  })
  const count = async (t: string) =>
    (await r.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n
  await until(async () => (await count('faq')) === 2 && (await count('rules')) === 1, 15_000, 'old grouping synced')
  old.unsubscribe()
  // Upgraded: the groups are those of today; the old subscription cannot be resumed.
  const errors: Error[] = []
  await r.startSync({ url: c.url, headers: async () => headers, onError: (e) => errors.push(e) })
  await faq('三')
  // The FAQ and the rules come back (each group from its own snapshot), with what was written since.
  await until(
    async () => (await count('faq')) === 3 && (await count('rules')) === 1,
    15_000,
    'the FAQ written after the upgrade, and the rules',
  )
  // Each group's subscription is stored with its first commit; the old one is gone.
  const keys = async () =>
    (await r.db.query<{ key: string }>(`SELECT key FROM electric.subscriptions_metadata ORDER BY key`)).map((x) => x.key)
  const current = Object.keys(AGENT_SHAPE_GROUPS).map((g) => `kefu-agent:${g}`).sort()
  await until(async () => JSON.stringify(await keys()) === JSON.stringify(current), 15_000, 'a subscription per current group', {
    diag: keys,
  })
  expect(errors).toEqual([])
})

test("a commit of pglite-sync that moves no row and not the committed LSN is skipped; the rows still land", async () => {
  const c = await startTestCloud({ engine: 'postgres' })
  cleanups.push(() => c.destroy())
  const id = await c.createAgent('A')
  const a = agentFor(c, id)
  cleanups.push(() => a.stop({ checkpoint: false }))
  await a.start()
  expect(await a.capture([bubble('张三', '你好', 1)])).toBe(1)
  await until(async () => (await c.db.query(`SELECT 1 FROM conversations WHERE agent_id = $1::uuid`, [id])).length === 1, 15_000, 'conversation in cloud')
  const [conv] = await c.db.query<{ id: string }>(`SELECT id FROM conversations WHERE agent_id = $1::uuid`, [id])
  await until(async () => (await a.replica.db.query(`SELECT 1 FROM conversations`)).length === 1 && a.status().outboxDepth === 0, 15_000, 'settled')
  await new Promise((r) => setTimeout(r, 300))
  const before = { ...a.replica.syncCommits }
  // Each reply wakes both shapes of the chat group: the first response commits nothing new.
  const n = 5
  for (let i = 0; i < n; i++) {
    const replyId = newId()
    await c.db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, 'rule')`,
      [replyId, conv!.id, id, `回复${i}`],
    )
    await until(async () => (await a.replica.db.query(`SELECT 1 FROM replies WHERE id = $1::uuid`, [replyId])).length === 1, 15_000, `reply ${i}`)
  }
  const after = a.replica.syncCommits
  // One commit per reply, not two (a margin of one for anything else the cloud wakes meanwhile).
  expect(after.commits - before.commits).toBeGreaterThanOrEqual(n)
  expect(after.commits - before.commits).toBeLessThanOrEqual(n + 1)
  expect(after.skipped - before.skipped).toBeGreaterThanOrEqual(n - 1)
  expect((await a.replica.db.query(`SELECT 1 FROM replies`)).length).toBe(n)
})
