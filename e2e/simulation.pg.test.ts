/**
 * A seeded simulation of the sync under a hostile network: several agents behind a proxy that
 * delays, drops and partitions; agents restarting; the cloud writing, updating and deleting
 * rows meanwhile. At the end every replica must hold exactly the rows of its shapes, and the
 * cloud every message the agents captured. Re-run a failure with KEFU_SIM_SEED.
 */
import { afterEach, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { createKefuAgent, sharedSecret, type KefuAgent } from '@kefu/agent'
import { startTestCloud, AGENT_SECRET } from '../cloud/src/testing/test-cloud.ts'
import { startFlakyProxy } from './support/flaky-proxy.ts'
import { prng } from './support/processes.ts'

const SEED = Number(process.env['KEFU_SIM_SEED'] ?? 7)
const AGENTS = 3
const STEPS = 240
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  cleanups.length = 0
})

test(`seeded simulation (seed ${SEED}): replicas converge to exactly their shapes`, async () => {
  const rand = prng(SEED)
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const cloud = await startTestCloud({ engine: 'postgres', longPollMs: 2000 })
  cleanups.push(() => cloud.destroy())
  const proxy = await startFlakyProxy({ host: '127.0.0.1', port: cloud.port }, rand)
  cleanups.push(() => proxy.close())
  const ids: string[] = []
  for (let i = 0; i < AGENTS; i++) ids.push(await cloud.createAgent(`sim-${i}`))
  const dirs = ids.map(() => mkdtempSync(join(tmpdir(), 'kefu-sim-')))
  const keys = ids.map(() => randomBytes(32))
  cleanups.push(async () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const make = (i: number) =>
    createKefuAgent({ cloudUrl: proxy.url, agentId: ids[i]!, credentials: sharedSecret(ids[i]!, AGENT_SECRET), dataDir: dirs[i]!, key: keys[i]!, logger: pino({ level: 'silent' }), offlineAnswers: false, checkpointMs: 1500 })
  const agents: (KefuAgent | null)[] = []
  for (let i = 0; i < AGENTS; i++) {
    const a = make(i)
    await a.start()
    agents.push(a)
  }
  cleanups.push(async () => {
    for (const a of agents) await a?.stop({ checkpoint: false })
  })

  const captured: string[][] = ids.map(() => [])
  const convs = new Map<number, string[]>() // agent → cloud-created conversation ids
  let n = 0
  for (let step = 0; step < STEPS; step++) {
    proxy.dropRate = rand() < 0.3 ? 0.05 : 0
    proxy.maxDelayMs = rand() < 0.3 ? 30 : 0
    const r = rand()
    const i = Math.floor(rand() * AGENTS)
    if (r < 0.3 && agents[i]) {
      // The agent captures a customer message.
      const text = `m${n++}`
      captured[i]!.push(text)
      await agents[i]!.capture([{ chatKey: `chat-${i}-${Math.floor(rand() * 4)}`, chatTitle: `chat-${i}`, isGroup: false, side: 'customer', sender: null, text, seenAt: new Date(), seq: n, mentioned: false }])
    } else if (r < 0.5) {
      // The cloud opens a conversation and replies in it.
      const conv = newId()
      await cloud.db.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, $3)`, [conv, ids[i], `cloud-${n++}`])
      convs.set(i, [...(convs.get(i) ?? []), conv])
      await cloud.db.query(`INSERT INTO replies (id, conversation_id, agent_id, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, 'faq')`, [newId(), conv, ids[i], `r${n++}`])
    } else if (r < 0.6 && (convs.get(i)?.length ?? 0) > 0) {
      // State changes: moves rows in and out of nothing (agents see all states), updates them.
      await cloud.db.query(`UPDATE conversations SET state = $2, title = $3 WHERE id = $1::uuid`, [pick(convs.get(i)!), pick(['bot', 'human', 'waiting_human', 'ended']), `t${n++}`])
    } else if (r < 0.68) {
      // Knowledge edits: publish, unpublish (a move-out for every agent), delete.
      const faq = await cloud.db.query<{ id: string }>(`SELECT id::text AS id FROM faq`)
      const op = rand()
      if (op < 0.5 || faq.length === 0) await cloud.db.query(`INSERT INTO faq (id, question, answer, published) VALUES ($1::uuid, $2, 'a', $3)`, [newId(), `q${n++}`, rand() < 0.8])
      else if (op < 0.8) await cloud.db.query(`UPDATE faq SET published = NOT published, answer = $2 WHERE id = $1::uuid`, [pick(faq).id, `a${n++}`])
      else await cloud.db.query(`DELETE FROM faq WHERE id = $1::uuid`, [pick(faq).id])
    } else if (r < 0.73) {
      // A replied reply is deleted in the cloud (a move-out of the replies shape).
      await cloud.db.query(`DELETE FROM replies WHERE id = (SELECT id FROM replies WHERE agent_id = $1::uuid AND origin = 'faq' LIMIT 1)`, [ids[i]])
    } else if (r < 0.78 && agents[i]) {
      // The agent restarts (graceful or abrupt: without a final checkpoint).
      const a = agents[i]!
      agents[i] = null
      await a.stop({ checkpoint: rand() < 0.5 })
      const b = make(i)
      await b.start()
      agents[i] = b
    } else if (r < 0.8) {
      proxy.partitioned = true
      await new Promise((res) => setTimeout(res, 100 + rand() * 400))
      proxy.partitioned = false
    }
    if (rand() < 0.2) await new Promise((res) => setTimeout(res, rand() * 50))
  }
  // Heal the network and let everything settle.
  proxy.dropRate = 0
  proxy.maxDelayMs = 0
  proxy.partitioned = false

  const expectedFor = async (agentId: string) => ({
    conversations: await cloud.db.query<{ id: string; state: string; title: string | null }>(`SELECT id::text AS id, state, title FROM conversations WHERE agent_id = $1::uuid ORDER BY id`, [agentId]),
    replies: await cloud.db.query<{ id: string; text: string }>(`SELECT id::text AS id, text FROM replies WHERE agent_id = $1::uuid ORDER BY id`, [agentId]),
    messages: await cloud.db.query<{ id: string; text: string }>(`SELECT id::text AS id, text FROM messages WHERE agent_id = $1::uuid ORDER BY id`, [agentId]),
    faq: await cloud.db.query<{ id: string; answer: string }>(`SELECT id::text AS id, answer FROM faq WHERE published ORDER BY id`),
  })
  const actualOf = async (a: KefuAgent) => ({
    conversations: await a.replica.db.query<{ id: string; state: string; title: string | null }>(`SELECT id::text AS id, state, title FROM conversations ORDER BY id`),
    replies: await a.replica.db.query<{ id: string; text: string }>(`SELECT id::text AS id, text FROM replies ORDER BY id`),
    messages: await a.replica.db.query<{ id: string; text: string }>(`SELECT id::text AS id, text FROM messages ORDER BY id`),
    faq: await a.replica.db.query<{ id: string; answer: string }>(`SELECT id::text AS id, answer FROM faq ORDER BY id`),
  })
  const deadline = Date.now() + 60_000
  let last = ''
  for (;;) {
    let ok = true
    for (let i = 0; i < AGENTS; i++) {
      const [want, got] = [await expectedFor(ids[i]!), await actualOf(agents[i]!)]
      if (JSON.stringify(want) !== JSON.stringify(got) || agents[i]!.status().outboxDepth > 0) {
        ok = false
        const diff = Object.fromEntries(
          Object.keys(want).map((k) => {
            const w = (want as Record<string, { id: string }[]>)[k]!.map((x) => JSON.stringify(x))
            const g = (got as Record<string, { id: string }[]>)[k]!.map((x) => JSON.stringify(x))
            return [k, { missing: w.filter((x) => !g.includes(x)), extra: g.filter((x) => !w.includes(x)) }]
          }),
        )
        last = `agent ${i}: ${JSON.stringify(diff)}`
      }
    }
    if (ok) break
    if (Date.now() > deadline) throw new Error(`replicas did not converge: ${last}`)
    await new Promise((r) => setTimeout(r, 250))
  }
  // Every message an agent captured is in the cloud exactly once.
  for (let i = 0; i < AGENTS; i++) {
    const texts = (await cloud.db.query<{ text: string }>(`SELECT text FROM messages WHERE agent_id = $1::uuid`, [ids[i]])).map((r) => r.text)
    expect(texts.sort()).toEqual([...captured[i]!].sort())
  }
  expect(proxy.stats.drops + proxy.stats.connections).toBeGreaterThan(0)
}, 240_000)
