/**
 * Builds the agent data folder the footprint bench starts from: a real cloud, a real agent that
 * captures `messages` customer messages over `chats` chats through its outbox, replies and the
 * published FAQ (bench/data) synced down, then a sealed checkpoint at a clean stop. What is
 * left is what a seat that has been in use for a while holds.
 */
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { createKefuAgent, keyFromPassphrase, sharedSecret } from '@kefu/agent'
import type { CapturedMessage } from '../../agent/src/driver/driver.ts'
import { startTestCloud, AGENT_SECRET } from '../../cloud/src/testing/test-cloud.ts'
import { until } from '../../e2e/support/until.ts'
import { openBenchDb } from '../support/bench-db.ts'

export interface BuildOptions {
  dataDir: string
  passphrase: string
  messages: number
  chats: number
  /** One in `replyEvery` messages gets a (historical, already sent) reply. */
  replyEvery: number
  engine: 'pglite' | 'postgres' | 'auto'
  log: (msg: string) => void
}

export interface BuildResult {
  agentId: string
  engine: 'pglite' | 'postgres'
  build_ms: number
  messages: number
  replies: number
  faq: number
}

const QUERIES = readFileSync(new URL('../data/queries-zh.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { query: string }).query)
const FAQ = readFileSync(new URL('../data/faq-zh.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { question: string; answer: string; variants?: string[] })

const count = async (
  db: { query<T>(sql: string, p?: unknown[]): Promise<T[]> },
  sql: string,
  p: unknown[] = [],
) => (await db.query<{ n: number }>(sql, p))[0]!.n

export async function buildReplica(o: BuildOptions): Promise<BuildResult> {
  const t0 = performance.now()
  const { db, engine, drop } = await openBenchDb(o.engine)
  const cloud = await startTestCloud({ db, longPollMs: 2000 })
  try {
    const agentId = await cloud.createAgent('footprint')
    for (const f of FAQ)
      await db.query(
        `INSERT INTO faq (id, question, answer, variants) VALUES ($1::uuid, $2, $3, $4::text[])`,
        [newId(), f.question, f.answer, f.variants ?? []],
      )
    const key = await keyFromPassphrase(o.dataDir, o.passphrase)
    const agent = createKefuAgent({
      cloudUrl: cloud.url,
      agentId,
      credentials: sharedSecret(agentId, AGENT_SECRET),
      dataDir: o.dataDir,
      key,
      logger: pino({ level: 'silent' }),
      checkpointMs: 60_000,
    })
    await agent.start()
    // Customers write in bursts; capture them the way the driver loop hands them over.
    const batch = 250
    const seq = new Map<string, number>()
    for (let i = 0; i < o.messages; i += batch) {
      const bubbles: CapturedMessage[] = []
      for (let k = i; k < Math.min(o.messages, i + batch); k++) {
        const chat = `客户${(k * 7919) % o.chats}`
        const n = seq.get(chat) ?? 0
        seq.set(chat, n + 1)
        bubbles.push({
          chatKey: chat,
          chatTitle: chat,
          isGroup: false,
          side: 'customer',
          sender: null,
          text: `${QUERIES[k % QUERIES.length]} #${k}`,
          seenAt: new Date(Date.now() - (o.messages - k) * 30_000),
          seq: n,
          mentioned: false,
        })
      }
      await agent.capture(bubbles)
      // Keep the outbox from running far ahead of the uplink (and the cloud's rate limits).
      while (agent.status().outboxDepth > 5_000) await new Promise((r) => setTimeout(r, 100))
    }
    o.log(`captured ${o.messages} messages`)
    await until(async () => agent.status().outboxDepth === 0, 600_000, 'outbox drained', {
      everyMs: 200,
    })
    await until(
      async () => (await count(db, `SELECT count(*)::int AS n FROM messages`)) === o.messages,
      60_000,
      'messages in the cloud',
      { everyMs: 200 },
    )
    o.log('outbox drained')
    // Historical replies, already sent: the replica holds them, the sender has nothing to do.
    await db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin, status, sent_at)
       SELECT gen_random_uuid(), m.conversation_id, m.agent_id, ARRAY[m.id], '您好，' || left(m.text, 20) || ' 的问题已为您处理。', 'faq', 'sent', now()
         FROM (SELECT m.*, row_number() OVER (ORDER BY m.captured_at) AS rn FROM messages m) m
        WHERE m.rn % $1 = 0`,
      [o.replyEvery],
    )
    const replies = await count(db, `SELECT count(*)::int AS n FROM replies`)
    const rdb = agent.replica.db
    await until(
      async () =>
        (await count(rdb, `SELECT count(*)::int AS n FROM messages`)) === o.messages &&
        (await count(rdb, `SELECT count(*)::int AS n FROM replies`)) === replies &&
        (await count(rdb, `SELECT count(*)::int AS n FROM faq`)) === FAQ.length &&
        (await count(rdb, `SELECT count(*)::int AS n FROM messages_local`)) === 0,
      600_000,
      'replica synced',
      { everyMs: 200 },
    )
    o.log('replica synced')
    await agent.stop()
    return {
      agentId,
      engine,
      build_ms: Math.round(performance.now() - t0),
      messages: o.messages,
      replies,
      faq: FAQ.length,
    }
  } finally {
    await cloud.close()
    await drop()
  }
}
