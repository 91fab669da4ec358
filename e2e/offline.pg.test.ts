/**
 * The cloud down for ten minutes of customer traffic. The agent's clock runs 20× faster than
 * the wall clock (pacing, offline detection, poll and probe intervals, capture timestamps all
 * on it), so the outage takes about thirty seconds.
 *
 *   online ─► cloud answers ─► cloud stops ─► agent notices ─► 10 min of traffic:
 *     greetings, FAQs (replicated before the outage), a keyword rule → answered locally, sent
 *     everything else, a question asked again (the cloud's hand-off trigger) and a chat a
 *     person took over → queued in the outbox
 *   ─► cloud restarts (same port, same database, reply worker running)
 *   ─► every message in the cloud exactly once; none answered twice, by either side
 */
import { afterEach, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { detectHandoff, RuleSetBody } from '@kefu/match'
import type { Db } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import { createKefuAgent, sharedSecret, type KefuAgent } from '@kefu/agent'
import { createSimDriver } from '../agent/src/driver/sim-driver.ts'
import {
  startTestCloud,
  AGENT_SECRET,
  type TestCloudOptions,
} from '../cloud/src/testing/test-cloud.ts'
import { replyPipelineWorkers } from '../cloud/src/pipeline/reply-pipeline.ts'
import { createLexicalEmbedder } from '../cloud/src/rag/embedder.ts'
import { importFaqFile } from '../cloud/src/rag/kb-import.ts'
import { FAQ_JSONL } from '../cloud/src/rag/test-kb.ts'
import { compressedClock } from './support/compressed-clock.ts'
import { prng } from './support/processes.ts'
import { until } from './support/until.ts'

const SPEED = 20
const OUTAGE_MS = 10 * 60_000
const SEED = Number(process.env['KEFU_OFFLINE_SEED'] ?? 5150)
const logger = pino({ level: process.env['AGENT_LOG'] ?? 'silent' })

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  cleanups.length = 0
})

const count = async (db: Db, sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(sql, params))[0]!.n

/** What kind of message a customer sends, and whether the agent may answer it offline. */
type Kind = 'greeting' | 'faq' | 'rule' | 'other'
const TEXTS: Record<Kind, readonly string[]> = {
  greeting: ['你好', '在吗', '您好', '早上好', '谢谢', '有人吗'],
  // Paraphrases of rows in FAQ_JSONL, replicated before the outage.
  faq: [
    '下单后多久发货？',
    '能开发票吗',
    '退款多久能到账',
    '保修多久',
    '怎么查物流',
    '积分有什么用？',
    '怎么选尺码？',
  ],
  // The published rule set's keyword reply.
  rule: ['门店电话多少', '门店电话是多少啊'],
  // For the cloud: not small talk, no FAQ, no keyword ("好的" is an acknowledgement: no reply).
  other: [
    '能不能便宜一点',
    '我买的杯子碎了怎么办',
    '你们实体店在哪里',
    '可以改地址吗',
    '这个颜色有货吗',
    '周末送货吗',
    '好的',
  ],
}
const PHONE_REPLY = '门店电话：400-820-1234（每天9:00-21:00）'
const ALWAYS_OPEN = {
  days: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' })),
}
const RULES = {
  businessHours: ALWAYS_OPEN,
  keywordReplies: [{ id: 'phone', keywords: ['门店电话'], reply: PHONE_REPLY }],
}

interface Pushed {
  chat: string
  text: string
  direction: 'in' | 'out'
  /** The answer the agent must give while offline (null: queue it for the cloud). */
  local: boolean
  phase: 'online' | 'outage' | 'after'
  kind: Kind | 'human'
}

const keyOf = (chat: string, direction: string, text: string) => `${chat}|${direction}|${text}`
const tally = (keys: string[]) => {
  const m = new Map<string, number>()
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1)
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

test('ten minutes offline: greetings and FAQs answered locally, the rest queued; after the cloud returns nothing is lost and nothing is answered twice', async () => {
  const rand = prng(SEED)
  const t0 = Date.now()
  const marks: Record<string, number> = {}
  const mark = (name: string) => (marks[name] = Date.now() - t0)
  const workers = replyPipelineWorkers({
    embedder: { kind: 'lexical' },
    llm: [],
    debounceMs: 0,
    worker: { sweepMs: 300, retryMs: 50 },
  })
  const cloudOptions: TestCloudOptions = { longPollMs: 1000, workers }
  const c = await startTestCloud({ engine: 'postgres', ...cloudOptions })
  cleanups.push(() => c.dropDb())
  let cloudUp = true
  cleanups.push(async () => {
    if (cloudUp) await c.close()
  })
  const port = c.port

  // What the cloud team published before the outage: the FAQ and a rule set.
  const faqs = await importFaqFile(FAQ_JSONL, 'jsonl', {
    db: c.db,
    embedder: createLexicalEmbedder(),
  })
  await c.db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('kefu.origin', 'console', true)`)
    await tx.query(
      `INSERT INTO rules (id, version, status, body, published_at) VALUES ($1::uuid, 1, 'published', $2::text::jsonb, now())`,
      [newId(), JSON.stringify(RULES)],
    )
  })

  const clock = compressedClock(SPEED)
  const driver = createSimDriver({ now: clock.date })
  const agentId = await c.createAgent('offline')
  const dataDir = mkdtempSync(join(tmpdir(), 'kefu-offline-'))
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
  const agent: KefuAgent = createKefuAgent({
    cloudUrl: c.url,
    agentId,
    credentials: sharedSecret(agentId, AGENT_SECRET),
    dataDir,
    key: randomBytes(32),
    driver,
    logger,
    // A minute without contact (3 s of wall time) is an outage: a busy CI box never fakes one.
    offlineAfterMs: 60_000,
    now: clock.now,
    sleep: clock.sleep,
    // The heartbeat (status report and reachability probe) runs on the wall clock: 5 s of agent time.
    heartbeatMs: 250,
  })
  cleanups.push(() => agent.stop({ checkpoint: false }))
  await agent.start()
  const rdb = agent.replica.db
  await until(
    async () =>
      (await count(rdb, `SELECT count(*)::int AS n FROM faq WHERE published`)) ===
        faqs.entries.length &&
      (await count(rdb, `SELECT count(*)::int AS n FROM rules WHERE status = 'published'`)) === 1,
    30_000,
    'FAQ and rules replicated',
  )
  expect(agent.status().online).toBe(true)

  const pushed: Pushed[] = []
  const push = (p: Omit<Pushed, 'direction'>) => {
    pushed.push({ ...p, direction: 'in' })
    driver.pushCustomerMessage(p.chat, p.text)
  }
  // Offline too, the cloud's hand-off triggers hold: of these texts, only a question asked again
  // trips one (no complaints, no requests for a person, nobody VIP, always open).
  const ruleSet = RuleSetBody.parse(RULES)
  const askedAgain = (chat: string, text: string) =>
    detectHandoff({
      text,
      recentCustomerTexts: pushed
        .filter((p) => p.chat === chat && p.direction === 'in')
        .map((p) => p.text),
      grade: null,
      now: new Date(),
      businessHours: ruleSet.businessHours,
      cfg: ruleSet.handoff,
    }).handoff

  // Online: the cloud answers; the agent only sends.
  push({ chat: '老顾客', text: '你好', local: false, phase: 'online', kind: 'greeting' })
  push({ chat: '老顾客', text: '可以开发票吗？', local: false, phase: 'online', kind: 'faq' })
  // (The worker may answer both fragments with one reply.)
  await until(
    async () =>
      (await count(c.db, `SELECT count(*)::int AS n FROM messages WHERE answered_by = 'cloud'`)) ===
        2 &&
      (await count(c.db, `SELECT count(*)::int AS n FROM replies WHERE status <> 'sent'`)) === 0 &&
      driver.sent().length > 0,
    30_000,
    'cloud replies sent while online',
  )
  const sentOnline = driver.sent().length
  expect(
    await count(rdb, `SELECT count(*)::int AS n FROM replies_all WHERE origin = 'local'`),
  ).toBe(0)

  mark('online')
  // The outage.
  await c.close()
  cloudUp = false
  await until(() => !agent.status().online, 30_000, 'the agent to notice the outage')
  const depthBefore = agent.status().outboxDepth
  mark('noticed')

  // Ten minutes of traffic over six chats. At minute four a person takes 客户3 over in WeChat,
  // and that customer's next question arrives in the very same poll.
  const chats = ['客户1', '客户2', '客户3', '客户4', '客户5', '客户6']
  const held = new Set<string>()
  const start = clock.now()
  let t = 0
  let tookOver = false
  let takeoverAt = Infinity
  while (t < OUTAGE_MS) {
    t += 4_000 + rand() * 8_000
    await clock.until(start + t)
    if (!tookOver && t > 4 * 60_000) {
      tookOver = true
      // Whatever the agent answered in that chat so far is out (a reply still waiting for
      // its pacing slot would rightly be cancelled by the takeover, and not be sent).
      const answeredSoFar = pushed.filter((p) => p.phase === 'outage' && p.local).length
      await until(
        () => driver.sent().length === sentOnline + answeredSoFar,
        30_000,
        'local replies before the takeover',
      )
      takeoverAt = clock.now()
      held.add('客户3')
      pushed.push({
        chat: '客户3',
        text: '这位客户我来处理',
        direction: 'out',
        local: false,
        phase: 'outage',
        kind: 'human',
      })
      driver.typeAsHuman('客户3', '这位客户我来处理')
      push({ chat: '客户3', text: '能开发票吗', local: false, phase: 'outage', kind: 'faq' })
      continue
    }
    const chat = chats[Math.floor(rand() * chats.length)]!
    const r = rand()
    const kind: Kind = r < 0.25 ? 'greeting' : r < 0.55 ? 'faq' : r < 0.6 ? 'rule' : 'other'
    const options = TEXTS[kind]
    const text = options[Math.floor(rand() * options.length)]!
    const local = kind !== 'other' && !held.has(chat) && !askedAgain(chat, text)
    push({ chat, text, local, phase: 'outage', kind })
  }
  const outage = pushed.filter((p) => p.phase === 'outage')
  const locals = outage.filter((p) => p.local)
  expect(outage.length).toBeGreaterThan(50)
  expect(locals.length).toBeGreaterThan(20)
  expect(outage.filter((p) => p.kind === 'other').length).toBeGreaterThan(10)

  // Every greeting/FAQ/rule answer went out through WeChat; nothing else did.
  await until(
    () => driver.sent().length === sentOnline + locals.length,
    60_000,
    'local replies sent',
    {
      diag: async () => ({
        sent: driver
          .sent()
          .slice(sentOnline)
          .map((x) => [x.chatKey, x.text]),
        locals: locals.map((p) => [p.chat, p.text]),
        replies: await rdb.query(
          `SELECT r.text, r.status, r.error FROM replies_all r WHERE origin = 'local'`,
        ),
      }),
    },
  )
  await until(
    async () => (await count(rdb, `SELECT count(*)::int AS n FROM messages_all`)) === pushed.length,
    10_000,
    'every message captured',
  )
  const sentOffline = driver.sent().slice(sentOnline)
  for (const s of sentOffline)
    expect(
      locals.some((p) => p.chat === s.chatKey),
      s.chatKey,
    ).toBe(true)
  expect(sentOffline.filter((s) => s.text === PHONE_REPLY).length).toBe(
    locals.filter((p) => p.kind === 'rule').length,
  )
  // Nothing went to the chat a person holds after they took it.
  expect(sentOffline.filter((x) => x.chatKey === '客户3' && x.at.getTime() >= takeoverAt)).toEqual(
    [],
  )
  const replicaMessages = await rdb.query<{
    chat_key: string
    direction: string
    text: string
    answered_by: string | null
  }>(
    `SELECT c.chat_key, m.direction, m.text, m.answered_by
       FROM messages_all m JOIN conversations_all c ON c.id = m.conversation_id
      ORDER BY m.captured_at`,
  )
  const localKeys = (
    rows: { chat_key: string; direction: string; text: string; answered_by: string | null }[],
  ) =>
    tally(
      rows
        .filter((m) => m.answered_by === 'local')
        .map((m) => keyOf(m.chat_key, m.direction, m.text)),
    )
  expect(localKeys(replicaMessages)).toEqual(
    tally(locals.map((p) => keyOf(p.chat, p.direction, p.text))),
  )
  const status = agent.status()
  expect(status.online).toBe(false)
  // Everything captured during the outage (messages, replies, their send status) waits.
  expect(status.outboxDepth).toBeGreaterThan(depthBefore + outage.length)

  mark('outage')
  // The cloud comes back on the same port and database, its reply worker with it.
  const c2 = await startTestCloud({ db: c.db, port, ...cloudOptions })
  cleanups.push(() => c2.close())
  await until(() => agent.status().outboxDepth === 0, 60_000, 'outbox drained')
  await until(
    async () =>
      (await count(c2.db, `SELECT count(*)::int AS n FROM messages WHERE agent_id = $1::uuid`, [
        agentId,
      ])) === pushed.length,
    30_000,
    'every message in the cloud',
  )
  await until(
    async () =>
      (await count(
        c2.db,
        `SELECT count(*)::int AS n FROM messages WHERE direction = 'in' AND answered_by IS NULL`,
      )) === 0,
    30_000,
    'the reply worker to go through the backlog',
  )
  await until(() => agent.status().online, 30_000, 'the agent to see the cloud again')
  mark('drained')

  // Back online: the cloud answers again, not the agent.
  push({ chat: '回头客', text: '保修期是多久？', local: false, phase: 'after', kind: 'faq' })
  // Checked in the order things happen (message arrives, is answered, its reply is sent): the
  // other way round, a reply committed between two of the checks passed unseen.
  await until(
    async () =>
      (await count(c2.db, `SELECT count(*)::int AS n FROM messages`)) === pushed.length &&
      (await count(
        c2.db,
        `SELECT count(*)::int AS n FROM messages WHERE direction = 'in' AND answered_by IS NULL`,
      )) === 0 &&
      (await count(
        c2.db,
        `SELECT count(*)::int AS n FROM replies WHERE status IN ('queued', 'sending')`,
      )) === 0,
    60_000,
    'every cloud reply sent and reported',
  )

  mark('after')
  // Nothing lost, nothing twice: the cloud holds exactly the messages WeChat showed.
  const cloudMessages = await c2.db.query<{
    id: string
    chat_key: string
    direction: string
    text: string
    answered_by: string | null
  }>(
    `SELECT m.id::text AS id, c.chat_key, m.direction, m.text, m.answered_by
       FROM messages m JOIN conversations c ON c.id = m.conversation_id ORDER BY m.captured_at`,
  )
  expect(tally(cloudMessages.map((m) => keyOf(m.chat_key, m.direction, m.text)))).toEqual(
    tally(pushed.map((p) => keyOf(p.chat, p.direction, p.text))),
  )
  expect(localKeys(cloudMessages)).toEqual(
    tally(locals.map((p) => keyOf(p.chat, p.direction, p.text))),
  )

  // Nothing answered twice: a message has at most one reply, and a local one rules out the cloud.
  const answers = await c2.db.query<{ id: string; answered_by: string | null; origins: string[] }>(
    `SELECT m.id::text AS id, m.answered_by,
            coalesce(array_agg(r.origin) FILTER (WHERE r.id IS NOT NULL), '{}') AS origins
       FROM messages m LEFT JOIN replies r ON m.id = ANY(r.message_ids)
      WHERE m.direction = 'in' GROUP BY m.id, m.answered_by`,
  )
  expect(answers).toHaveLength(pushed.filter((p) => p.direction === 'in').length)
  for (const a of answers) {
    const expected =
      a.answered_by === 'local'
        ? ['local']
        : a.answered_by === 'cloud'
          ? [expect.not.stringMatching(/^local$/)]
          : []
    expect({ id: a.id, answered_by: a.answered_by, origins: a.origins }).toEqual({
      id: a.id,
      answered_by: a.answered_by,
      origins: expected,
    })
    expect(a.answered_by).not.toBeNull()
  }
  const byKey = new Map(cloudMessages.map((m) => [keyOf(m.chat_key, m.direction, m.text), m]))
  for (const p of pushed.filter((x) => x.phase !== 'outage'))
    expect(byKey.get(keyOf(p.chat, p.direction, p.text))?.answered_by, p.text).toBe('cloud')
  // The chat a person took over got no bot reply from either side after the takeover.
  const heldAfter = cloudMessages
    .filter((m) => m.chat_key === '客户3' && m.direction === 'in')
    .slice(-1)
  expect(heldAfter.map((m) => m.answered_by)).toEqual(['none'])
  expect(
    (
      await c2.db.query<{ state: string }>(
        `SELECT state FROM conversations WHERE chat_key = '客户3'`,
      )
    )[0]!.state,
  ).toBe('human')

  // WeChat saw each reply exactly once.
  const sentReplies = await c2.db.query<{ chat_key: string; text: string }>(
    `SELECT c.chat_key, r.text FROM replies r JOIN conversations c ON c.id = r.conversation_id WHERE r.status = 'sent'`,
  )
  expect(tally(driver.sent().map((s) => `${s.chatKey}|${s.text}`))).toEqual(
    tally(sentReplies.map((r) => `${r.chat_key}|${r.text}`)),
  )
  // A reply that is not sent was cancelled by a hand-off: the backlog of a chat can reach the
  // worker in two parts (the outbox drains in batches), and when the second hands the chat to
  // a person while the first part's reply still waits for its pacing slot, that reply rightly
  // never goes out (the tally above proves WeChat did not see it).
  const unsent = await c2.db.query<{ chat_key: string; status: string; origin: string; state: string }>(
    `SELECT c.chat_key, r.status, r.origin, c.state
       FROM replies r JOIN conversations c ON c.id = r.conversation_id WHERE r.status <> 'sent'`,
  )
  for (const u of unsent)
    expect(u, JSON.stringify(unsent)).toMatchObject({
      status: 'cancelled',
      origin: expect.stringMatching(/^(cloud_ai|faq|rule)$/),
      state: expect.stringMatching(/^(waiting_human|human)$/),
    })

  // The replica converges on the cloud.
  await until(
    async () =>
      (await count(rdb, `SELECT count(*)::int AS n FROM messages`)) === pushed.length &&
      (await count(rdb, `SELECT count(*)::int AS n FROM messages_local`)) === 0 &&
      (await count(rdb, `SELECT count(*)::int AS n FROM replies_local`)) === 0,
    30_000,
    'replica converged',
  )
  expect(agent.status().rejectedChanges).toBe(0)
  console.log(
    JSON.stringify({
      outage: {
        messages: outage.length,
        local: locals.length,
        queued: outage.length - locals.length,
      },
      cloud: { messages: cloudMessages.length, replies: sentReplies.length },
      wallMs: marks,
    }),
  )
}, 150_000)
