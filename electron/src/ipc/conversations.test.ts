import { afterEach, expect, test } from 'vitest'
import { newId } from '@kefu/schema'
import { conversationIdOf } from '@kefu/agent'
import type { ConversationDetail, ConversationSummary, StateChange } from '../api.ts'
import { bubble, createTestAgent, silentLogger, type TestAgent } from '../testing/test-agent.ts'
import { createIpcRouter } from './router.ts'
import { conversationRoutes } from './conversations.ts'

const agents: TestAgent[] = []
afterEach(async () => {
  for (const a of agents.splice(0)) await a.dispose()
})

async function setup(o: { takeOverMs?: number; now?: () => Date } = {}) {
  const t = createTestAgent()
  agents.push(t)
  await t.agent.start()
  const router = createIpcRouter(conversationRoutes({ agent: t.agent, handler: '小王', ...o }), {
    logger: silentLogger(),
  })
  const call = async <T>(channel: string, arg?: unknown): Promise<T> => {
    const r = await router.invoke(channel, arg)
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
    return r.value as T
  }
  return { ...t, router, call }
}

test('the list shows captured chats, latest first, with state, preview and unanswered count', async () => {
  const s = await setup()
  await s.agent.capture([bubble('张三', '你好'), bubble('张三', '我的快递到哪了？')])
  await new Promise((r) => setTimeout(r, 5))
  await s.agent.capture([bubble('李四', '在吗'.repeat(30))])
  const list = await s.call<ConversationSummary[]>('kefu:conversations')
  expect(list.map((c) => c.title)).toEqual(['李四', '张三'])
  const zhang = list[1]!
  expect(zhang).toMatchObject({
    id: conversationIdOf(s.agentId, '张三'),
    chatKey: '张三',
    kind: 'direct',
    state: 'unhandled',
    handler: null,
    preview: '我的快递到哪了？',
    unanswered: 2,
  })
  expect(list[0]!.preview).toHaveLength(41) // 40 characters and an ellipsis
  expect(Date.parse(zhang.lastAt)).not.toBeNaN()
})

test('a conversation’s timeline merges messages and replies, oldest first, with reply status', async () => {
  const s = await setup()
  await s.agent.capture([bubble('张三', '几点发货？')])
  const id = conversationIdOf(s.agentId, '张三')
  const [msg] = (await s.call<ConversationDetail>('kefu:messages', id)).items
  const replyId = newId()
  await s.agent.write([
    {
      id: newId(),
      kind: 'insert_reply',
      row: {
        id: replyId,
        conversation_id: id,
        agent_id: s.agentId,
        message_ids: [msg!.id],
        text: '今天下午发货',
        origin: 'human',
        confidence: null,
        sources: [],
        status: 'queued',
        sent_at: null,
      },
    },
  ])
  await s.agent.write([
    {
      id: newId(),
      kind: 'update_reply',
      pk: replyId,
      set: { status: 'failed', error: '微信窗口未找到' },
    },
  ])
  const d = await s.call<ConversationDetail>('kefu:messages', id)
  expect(d.conversation.id).toBe(id)
  expect(d.items.map((i) => [i.type, i.text])).toEqual([
    ['message', '几点发货？'],
    ['reply', '今天下午发货'],
  ])
  expect(d.items[0]).toMatchObject({ direction: 'in', origin: 'agent', answeredBy: null })
  expect(d.items[1]).toMatchObject({
    status: 'failed',
    error: '微信窗口未找到',
    origin: 'human',
    sentAt: null,
  })
})

test('take over puts the chat with the handler until released, through the outbox', async () => {
  const s = await setup()
  await s.agent.capture([bubble('张三', '转人工')])
  const id = conversationIdOf(s.agentId, '张三')
  const depth = s.agent.status().outboxDepth

  expect(await s.call<StateChange>('kefu:take-over', id)).toEqual({
    id,
    state: 'human',
    changed: true,
  })
  const taken = (await s.call<ConversationDetail>('kefu:messages', id)).conversation
  expect(taken).toMatchObject({ state: 'human', handler: '小王', botPausedUntil: null })
  expect(s.agent.status().outboxDepth).toBe(depth + 1)
  // Taking over twice writes nothing more.
  expect(await s.call<StateChange>('kefu:take-over', id)).toEqual({
    id,
    state: 'human',
    changed: false,
  })
  expect(s.agent.status().outboxDepth).toBe(depth + 1)

  expect(await s.call<StateChange>('kefu:release', id)).toEqual({ id, state: 'bot', changed: true })
  const released = (await s.call<ConversationSummary[]>('kefu:conversations'))[0]!
  expect(released).toMatchObject({ state: 'bot', botPausedUntil: null })
  expect(await s.call<StateChange>('kefu:release', id)).toEqual({
    id,
    state: 'bot',
    changed: false,
  })
  expect(s.agent.status().outboxDepth).toBe(depth + 2)
})

test('a timed take-over pauses the bot until then', async () => {
  const at = new Date('2030-01-01T08:00:00.000Z')
  const s = await setup({ takeOverMs: 30 * 60_000, now: () => at })
  await s.agent.capture([bubble('张三', '你好')])
  const id = conversationIdOf(s.agentId, '张三')
  await s.call('kefu:take-over', id)
  const c = (await s.call<ConversationDetail>('kefu:messages', id)).conversation
  expect(c.botPausedUntil).toBe('2030-01-01T08:30:00.000Z')
})

test('unknown or malformed conversation ids are refused without writing', async () => {
  const s = await setup()
  const depth = s.agent.status().outboxDepth
  for (const ch of ['kefu:messages', 'kefu:take-over', 'kefu:release']) {
    expect(await s.router.invoke(ch, newId())).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    })
    expect(await s.router.invoke(ch, "1' OR 1=1 --")).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    })
  }
  expect(s.agent.status().outboxDepth).toBe(depth)
})
