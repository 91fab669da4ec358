/**
 * kill -9 of the agent and of the cloud at random points during a 10,000-message run, then
 * restart both: every message and reply exists exactly once in the cloud and in the replica.
 */
import { afterAll, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { createTestPostgres, migrate, type TestPostgres } from '@kefu/migrations'
import { newId, stableId } from '@kefu/schema'
import { startWeChatDouble, type WeChatDouble } from './support/wechat-double.ts'
import { forkAgent, kill9, prng, spawnCloud, waitHealthy } from './support/processes.ts'

const N = Number(process.env['KEFU_CRASH_MESSAGES'] ?? 10_000)
const CHATS = 25
const SEED = Number(process.env['KEFU_CRASH_SEED'] ?? 20261128)
const SECRET = 'crash-test-secret-0123456789'

let pg: TestPostgres | null = null
let wechat: WeChatDouble | null = null
let cloud: ChildProcess | null = null
let agent: ChildProcess | null = null
const dataDir = mkdtempSync(join(tmpdir(), 'kefu-crash-'))
afterAll(async () => {
  if (agent) await kill9(agent)
  if (cloud) await kill9(cloud)
  await wechat?.close()
  await pg?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test(`kill -9 of agent and cloud during ${N} messages: nothing lost, nothing twice`, async () => {
  const rand = prng(SEED)
  pg = await createTestPostgres()
  await migrate(pg.db, 'cloud')
  const agentId = newId()
  await pg.db.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, 'crash')`, [agentId])
  wechat = await startWeChatDouble()
  const port = 20000 + Math.floor(rand() * 20000)
  const cloudUrl = `http://127.0.0.1:${port}`
  const cloudEnv = { DATABASE_URL: pg.url, KEFU_AGENT_SECRET: SECRET, KEFU_WORKERS: 'false' }
  const startCloud = async () => {
    cloud = spawnCloud(port, cloudEnv)
    await waitHealthy(cloudUrl)
  }
  const startAgent = async () => {
    const f = forkAgent({ CLOUD_URL: cloudUrl, AGENT_ID: agentId, AGENT_SECRET: SECRET, AGENT_DATA: dataDir, AGENT_PASSPHRASE: 'crash test', WECHAT_URL: wechat!.url, CHECKPOINT_MS: '2000', AGENT_LOG: process.env['AGENT_LOG'] ?? 'silent' })
    agent = f.child
    await f.ready
  }
  await startCloud()
  await startAgent()

  // The "worker": every 10th message gets exactly one reply (a stable id makes it idempotent).
  let replying = true
  const replier = (async () => {
    while (replying) {
      try {
        await pg!.db.query(
          `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin)
           SELECT kefu_test_reply_id(m.id), m.conversation_id, m.agent_id, ARRAY[m.id], '回复 ' || m.text, 'rule'
             FROM messages m WHERE m.text LIKE '%#R' ON CONFLICT (id) DO NOTHING`,
        )
      } catch {
        // the database is never down in this test; the function may not exist yet
      }
      await sleep(150)
    }
  })()
  // Reply ids derive from message ids, like a real worker's would.
  await pg.db.exec(`CREATE FUNCTION kefu_test_reply_id(m uuid) RETURNS uuid LANGUAGE sql IMMUTABLE AS
    $$ SELECT (substr(md5('reply' || m::text), 1, 8) || '-' || substr(md5('reply' || m::text), 9, 4) || '-8' || substr(md5('reply' || m::text), 14, 3) || '-a' || substr(md5('reply' || m::text), 18, 3) || '-' || substr(md5('reply' || m::text), 21, 12))::uuid $$`)
  void stableId

  let pushed = 0
  const kills = { agent: 0, cloud: 0 }
  let nextKill = Date.now() + 2000 + rand() * 3000
  const chatOf: string[] = []
  const events: string[] = []
  const push = (k: number) => {
    for (let i = 0; i < k && pushed < N; i++) {
      const chat = `客户${Math.floor(rand() * CHATS)}`
      chatOf.push(chat)
      wechat!.push(chat, `消息${pushed}${pushed % 10 === 0 ? '#R' : ''}`)
      pushed++
    }
  }
  while (pushed < N) {
    push(20)
    await sleep(60)
    if (Date.now() > nextKill) {
      if (rand() < 0.5) {
        await kill9(agent!)
        kills.agent++
        events.push(`agent killed at ${pushed}`)
        // Messages keep arriving in WeChat while the agent is dead (within the visible window).
        push(Math.floor(rand() * 5 * CHATS * 0.5))
        await sleep(200 + rand() * 800)
        await startAgent()
      } else {
        await kill9(cloud!)
        kills.cloud++
        events.push(`cloud killed at ${pushed}`)
        push(Math.floor(rand() * 60))
        await sleep(200 + rand() * 800)
        await startCloud()
      }
      nextKill = Date.now() + 2000 + rand() * 4000
    }
  }
  // Quiesce: everything captured reaches the cloud, every reply reaches the replica.
  const deadline = Date.now() + 240_000
  let cloudCount: number
  while (Date.now() < deadline) {
    cloudCount = (await pg.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`))[0]!.n
    if (cloudCount >= N) break
    await sleep(250)
  }
  replying = false
  await replier
  await pg.db.query(
    `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin)
     SELECT kefu_test_reply_id(m.id), m.conversation_id, m.agent_id, ARRAY[m.id], '回复 ' || m.text, 'rule'
       FROM messages m WHERE m.text LIKE '%#R' ON CONFLICT (id) DO NOTHING`,
  )
  const texts = (await pg.db.query<{ text: string }>(`SELECT text FROM messages`)).map((r) => r.text)
  const cloudReplies = (await pg.db.query<{ id: string }>(`SELECT id::text AS id FROM replies ORDER BY id`)).map((r) => r.id)
  const cloudMsgIds = (await pg.db.query<{ id: string }>(`SELECT id::text AS id FROM messages ORDER BY id`)).map((r) => r.id)
  console.log(JSON.stringify({ pushed, kills, cloudMessages: texts.length, cloudReplies: cloudReplies.length }))
  const have = new Set(texts)
  const missing = [...Array(N).keys()].filter((i) => !have.has(`消息${i}${i % 10 === 0 ? '#R' : ''}`))
  if (missing.length) {
    console.log(JSON.stringify({ events, missing: missing.map((i) => [i, chatOf[i]]) }))
    const d0 = await new Promise<{ messages: { id: string; text: string }[] }>((resolve) => {
      agent!.once("message", (m: unknown) => resolve(m as never))
      agent!.send({ type: 'dump' })
    })
    const local = new Set(d0.messages.map((m) => m.text))
    console.log(JSON.stringify({ inReplica: missing.map((i) => local.has(`消息${i}${i % 10 === 0 ? '#R' : ''}`)) }))
  }
  expect(kills.agent + kills.cloud).toBeGreaterThan(3)
  expect(texts.length).toBe(N) // nothing lost
  expect(new Set(texts).size).toBe(N) // nothing twice
  for (let i = 0; i < N; i++) expect(texts.includes(`消息${i}${i % 10 === 0 ? '#R' : ''}`) || null, `消息${i}`).toBeTruthy()
  expect(cloudReplies.length).toBe(N / 10)

  // The replica converges to exactly the cloud's rows.
  const dump = async () =>
    new Promise<{ messages: { id: string }[]; replies: { id: string }[]; status: { outboxDepth: number } }>((resolve) => {
      agent!.once("message", (m: unknown) => resolve(m as never))
      agent!.send({ type: 'dump' })
    })
  let d = await dump()
  // The agent keeps sending the replies (paced, a second or more apart), and each send queues
  // its status for the cloud: wait for a moment when the outbox is empty, as well as synced.
  const end2 = Date.now() + 180_000
  while (Date.now() < end2 && (d.replies.length !== cloudReplies.length || d.messages.length !== N || d.status.outboxDepth !== 0)) {
    await sleep(500)
    d = await dump()
  }
  expect(d.status.outboxDepth).toBe(0)
  expect(d.messages.map((m) => m.id).sort()).toEqual(cloudMsgIds)
  expect(d.replies.map((r) => r.id).sort()).toEqual(cloudReplies)
}, 600_000)
