import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { openReplica, type Replica } from '../sync/replica.ts'
import { createAnswerer, type Answerer, type AnswerRequest } from './answerer.ts'

// The replica as pglite-sync leaves it: published FAQ and rules, conversations in some states.
let replica: Replica
let answerer: Answerer
const conv = { open: newId(), held: newId(), released: newId(), group: newId() }
// A Monday, inside the default business hours (09:00–21:00 Shanghai).
const now = new Date('2026-03-02T10:00:00+08:00')
const agentId = newId()
const REFUND = '在订单页点“申请退款”即可，3个工作日内原路退回。'
beforeAll(async () => {
  replica = await openReplica({ logger: pino({ level: 'silent' }) })
  const db = replica.db
  await db.query(
    `INSERT INTO faq (id, question, answer, variants, tags, published, updated_at) VALUES
       ($1::uuid, '可以开发票吗？', '支持开具电子发票。', '{}', '{}', true, now()),
       ($2::uuid, '保修期是多久？', '整机保修1年。', '{}', '{}', false, now()),
       ($3::uuid, '怎么申请退款？', $4, '{}', '{}', true, now())`,
    [newId(), newId(), newId(), REFUND],
  )
  const body = {
    keywordReplies: [{ id: 'phone', keywords: ['门店电话'], reply: '400-820-1234' }],
    groupPolicy: { botNames: ['客服小美'] },
    sensitiveWords: ['违禁词'],
  }
  await db.query(
    `INSERT INTO rules (id, version, status, body, published_at) VALUES ($1::uuid, 1, 'published', $2::text::jsonb, now())`,
    [newId(), JSON.stringify(body)],
  )
  for (const [id, kind, state, paused] of [
    [conv.open, 'direct', 'bot', null],
    [conv.held, 'direct', 'human', '2026-03-02T10:30:00+08:00'],
    [conv.released, 'direct', 'human', '2026-03-02T09:30:00+08:00'],
    [conv.group, 'group', 'unhandled', null],
  ] as const)
    await db.query(
      `INSERT INTO conversations (id, agent_id, chat_key, kind, title, customer_id, state, bot_paused_until, handler, created_at, updated_at)
       VALUES ($1::uuid, $2::uuid, $1, $3, 't', NULL, $4, $5::timestamptz, NULL, now(), now())`,
      [id, agentId, kind, state, paused],
    )
  answerer = createAnswerer({ db, now: () => now })
})
afterAll(async () => {
  await replica?.close()
})

const ask = (
  conversationId: string,
  text: string,
  o: { isGroup?: boolean; mentioned?: boolean } = {},
) =>
  answerer.answer({
    conversationId,
    isGroup: o.isGroup ?? false,
    mentioned: o.mentioned ?? false,
    text,
  })

describe('offline answerer', () => {
  test('greetings, published FAQs and keyword rules are answered', async () => {
    expect(await ask(conv.open, '你好')).toMatchObject({
      text: '您好，请问有什么可以帮您？',
      confidence: 1,
    })
    expect(await ask(conv.open, '能开发票吗')).toMatchObject({
      text: '支持开具电子发票。',
      sources: [{ kind: 'faq' }],
    })
    expect(await ask(conv.open, '门店电话多少')).toMatchObject({
      text: '400-820-1234',
      sources: [{ kind: 'rule' }],
    })
  })

  test('the rest waits for the cloud: unknown questions, unpublished FAQs, acknowledgements', async () => {
    expect(await ask(conv.open, '我买的杯子碎了怎么办')).toBeNull()
    expect(await ask(conv.open, '保修期是多久？')).toBeNull()
    expect(await ask(conv.open, '好的')).toBeNull()
  })

  test('a chat a person holds is left alone until the hold expires', async () => {
    expect(await ask(conv.held, '你好')).toBeNull()
    expect(await ask(conv.released, '你好')).not.toBeNull()
  })

  test('in a group, only messages addressed to us, matched without the mention', async () => {
    expect(await ask(conv.group, '可以开发票吗？', { isGroup: true })).toBeNull()
    expect(
      await ask(conv.group, '@客服小美 可以开发票吗？', { isGroup: true, mentioned: true }),
    ).toMatchObject({ text: '支持开具电子发票。' })
    expect(
      await ask(conv.group, '@客服小美 你好', { isGroup: true, mentioned: true }),
    ).toMatchObject({ text: '您好，请问有什么可以帮您？' })
  })
})

/** A direct chat of a customer of `grade`, with these earlier customer messages in the replica. */
async function chat(
  o: { grade?: string; earlier?: { text: string; answered_by: string | null }[] } = {},
): Promise<string> {
  const db = replica.db
  const id = newId()
  const customerId = newId()
  await db.query(
    `INSERT INTO customers (id, agent_id, display_name, remark, grade, tags, first_seen_at, last_seen_at)
     VALUES ($1::uuid, $2::uuid, $1, NULL, $3, '{}', now(), now())`,
    [customerId, agentId, o.grade ?? 'C'],
  )
  await db.query(
    `INSERT INTO conversations (id, agent_id, chat_key, kind, title, customer_id, state, bot_paused_until, handler, created_at, updated_at)
     VALUES ($1::uuid, $2::uuid, $1, 'direct', 't', $3::uuid, 'bot', NULL, NULL, now(), now())`,
    [id, agentId, customerId],
  )
  for (const [i, m] of (o.earlier ?? []).entries())
    await db.query(
      `INSERT INTO messages (id, conversation_id, agent_id, direction, sender, text, kind, mentioned, captured_at, dedup_key, origin, answered_by, created_at)
       VALUES ($1::uuid, $2::uuid, $3::uuid, 'in', NULL, $4, 'text', false, $5::timestamptz, $1, 'agent', $6, now())`,
      [
        newId(),
        id,
        agentId,
        m.text,
        new Date(now.getTime() - 60_000 * (10 - i)).toISOString(),
        m.answered_by,
      ],
    )
  return id
}

const decide = (conversationId: string, text: string, more: Partial<AnswerRequest> = {}) =>
  answerer.decide({ conversationId, isGroup: false, mentioned: false, text, ...more })

describe("offline answerer: the cloud's hand-off triggers", () => {
  test('an explicit request for a person is left unanswered for the cloud to hand off', async () => {
    const id = await chat()
    for (const text of ['转人工', '人工', '我要找人工客服，门店电话多少'])
      expect(await decide(id, text), text).toMatchObject({ kind: 'handoff', reason: 'keyword' })
    expect(await ask(id, '转人工')).toBeNull()
  })

  test('a complaint is left unanswered even when it asks a question a FAQ answers', async () => {
    const id = await chat()
    expect(await ask(id, '怎么退款')).toMatchObject({ text: REFUND, sources: [{ kind: 'faq' }] })
    expect(await decide(id, '我要投诉，怎么退款')).toMatchObject({
      kind: 'handoff',
      reason: 'complaint',
    })
    expect(await ask(await chat(), '我要投诉，怎么退款')).toBeNull()
  })

  test('a declined request is no request: "不用转人工了" is answered as before', async () => {
    const id = await chat()
    expect(await ask(id, '不用转人工了，怎么退款')).toMatchObject({ text: REFUND })
    expect(await ask(id, '不用转人工了，谢谢')).toBeNull()
    expect(await decide(id, '不用转人工了，谢谢')).toEqual({ kind: 'wait', why: 'no_answer' })
  })

  test('a VIP customer (grade A by default) is left for a person; others are answered', async () => {
    expect(await decide(await chat({ grade: 'A' }), '能开发票吗')).toMatchObject({
      kind: 'handoff',
      reason: 'vip',
    })
    expect(await ask(await chat({ grade: 'B' }), '能开发票吗')).toMatchObject({
      text: '支持开具电子发票。',
    })
  })

  test('the same question asked again is left for a person, whether it is in the replica or read in the same poll', async () => {
    const id = await chat({
      earlier: [
        { text: '怎么申请退款？', answered_by: 'local' },
        { text: '你好', answered_by: 'local' },
      ],
    })
    expect(await decide(id, '怎么申请退款')).toMatchObject({
      kind: 'handoff',
      reason: 'repeated_question',
    })
    expect(await ask(id, '能开发票吗')).toMatchObject({ text: '支持开具电子发票。' })

    const fresh = await chat()
    expect(await ask(fresh, '怎么申请退款')).toMatchObject({ text: REFUND })
    expect(
      await decide(fresh, '怎么申请退款', {
        earlier: [{ text: '怎么申请退款？', mentioned: false, answered: true }],
      }),
    ).toMatchObject({ kind: 'handoff', reason: 'repeated_question', earlier: false })
  })

  test('while an earlier request for a person waits for the cloud, the bot stays out of the chat', async () => {
    const waiting = await chat({ earlier: [{ text: '我要投诉你们', answered_by: null }] })
    expect(await decide(waiting, '怎么退款')).toMatchObject({
      kind: 'handoff',
      reason: 'complaint',
      earlier: true,
    })
    expect(
      await decide(await chat(), '怎么退款', {
        earlier: [{ text: '转人工', mentioned: false, answered: false }],
      }),
    ).toMatchObject({ kind: 'handoff', reason: 'keyword', earlier: true })
    // Once the cloud has dealt with it (answered_by set), the chat is the bot's again.
    const done = await chat({ earlier: [{ text: '转人工', answered_by: 'none' }] })
    expect(await ask(done, '怎么退款')).toMatchObject({ text: REFUND })
    // A declined request never waited for anyone.
    const declined = await chat({ earlier: [{ text: '不用转人工了', answered_by: null }] })
    expect(await ask(declined, '怎么退款')).toMatchObject({ text: REFUND })
  })

  test("in a group, another member's complaint does not silence answers to us", async () => {
    expect(
      await answerer.decide({
        conversationId: conv.group,
        isGroup: true,
        mentioned: true,
        text: '@客服小美 可以开发票吗？',
        earlier: [{ text: '这家店太差了，我要投诉', mentioned: false, answered: false }],
      }),
    ).toMatchObject({ kind: 'answer', answer: { text: '支持开具电子发票。' } })
    expect(
      await answerer.decide({
        conversationId: conv.group,
        isGroup: true,
        mentioned: true,
        text: '@客服小美 可以开发票吗？',
        earlier: [{ text: '@客服小美 转人工', mentioned: true, answered: false }],
      }),
    ).toMatchObject({ kind: 'handoff', reason: 'keyword', earlier: true })
  })

  test('outside business hours the after-hours notice goes out once instead of an answer', async () => {
    const night = createAnswerer({
      db: replica.db,
      now: () => new Date('2026-03-02T23:00:00+08:00'),
    })
    const id = await chat()
    const first = await night.decide({
      conversationId: id,
      isGroup: false,
      mentioned: false,
      text: '能开发票吗',
    })
    expect(first).toMatchObject({
      kind: 'answer',
      answer: { text: '您好，现在是非工作时间，客服上班后会第一时间回复您。' },
    })
    await replica.db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin, confidence, sources, status, created_at, updated_at)
       VALUES ($1::uuid, $2::uuid, $3::uuid, '{}', $4, 'local', 1, '[]', 'sent', now(), now())`,
      [newId(), id, agentId, first.kind === 'answer' ? first.answer.text : ''],
    )
    expect(
      await night.decide({
        conversationId: id,
        isGroup: false,
        mentioned: false,
        text: '能开发票吗',
      }),
    ).toEqual({ kind: 'wait', why: 'notice_sent' })
  })
})

describe('offline answerer: a rule set that hands off outside business hours', () => {
  let r: Replica
  beforeAll(async () => {
    r = await openReplica({ logger: pino({ level: 'silent' }) })
    await r.db.query(
      `INSERT INTO faq (id, question, answer, variants, tags, published, updated_at)
       VALUES ($1::uuid, '可以开发票吗？', '支持开具电子发票。', '{}', '{}', true, now())`,
      [newId()],
    )
    await r.db.query(
      `INSERT INTO rules (id, version, status, body, published_at) VALUES ($1::uuid, 1, 'published', $2::text::jsonb, now())`,
      [
        newId(),
        JSON.stringify({
          businessHours: { afterHoursAction: 'handoff' },
          handoff: { vipGrades: [] },
        }),
      ],
    )
  })
  afterAll(async () => {
    await r?.close()
  })

  test('at night the question is left for a person; by day it is answered', async () => {
    const at = (iso: string) => createAnswerer({ db: r.db, now: () => new Date(iso) })
    const m = { conversationId: newId(), isGroup: false, mentioned: false, text: '能开发票吗' }
    expect(await at('2026-03-02T23:00:00+08:00').decide(m)).toMatchObject({
      kind: 'handoff',
      reason: 'after_hours',
    })
    expect(await at('2026-03-02T10:00:00+08:00').answer(m)).toMatchObject({
      text: '支持开具电子发票。',
    })
  })
})
