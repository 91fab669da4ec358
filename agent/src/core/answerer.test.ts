import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { openReplica, type Replica } from '../sync/replica.ts'
import { createAnswerer, type Answerer } from './answerer.ts'

// The replica as pglite-sync leaves it: published FAQ and rules, conversations in some states.
let replica: Replica
let answerer: Answerer
const conv = { open: newId(), held: newId(), released: newId(), group: newId() }
const now = new Date('2026-03-02T10:00:00+08:00')
beforeAll(async () => {
  replica = await openReplica({ logger: pino({ level: 'silent' }) })
  const db = replica.db
  await db.query(
    `INSERT INTO faq (id, question, answer, variants, tags, published, updated_at) VALUES
       ($1::uuid, '可以开发票吗？', '支持开具电子发票。', '{}', '{}', true, now()),
       ($2::uuid, '保修期是多久？', '整机保修1年。', '{}', '{}', false, now())`,
    [newId(), newId()],
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
  const agentId = newId()
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
