import { afterAll, beforeAll, expect, test } from 'vitest'
import { pino } from 'pino'
import { newId, type Change } from '@kefu/schema'
import { openReplica, type Replica } from '../sync/replica.ts'
import type { CapturedMessage } from '../driver/driver.ts'
import { captureBatch, type CaptureContext } from './capture.ts'
import { emptyCheckpoint } from './chat-checkpoint.ts'

let replica: Replica
beforeAll(async () => {
  replica = await openReplica({ logger: pino({ level: 'silent' }) })
})
afterAll(async () => {
  await replica?.close()
})

let seq = 0
const bubble = (chat: string, side: 'customer' | 'self', text: string): CapturedMessage => ({
  chatKey: chat,
  chatTitle: chat,
  isGroup: false,
  side,
  sender: null,
  text,
  seenAt: new Date(),
  seq: seq++,
  mentioned: false,
})

const context = (): CaptureContext => ({
  agentId: newId(),
  db: replica.db,
  checkpoint: () => emptyCheckpoint(),
  aligned: new Set(),
  now: () => new Date(),
  humanTtlMs: 30 * 60_000,
  // Offline, and every question has an answer.
  localAnswer: async () => ({ text: '现货48小时内发货', confidence: 1, sources: [] }),
})

const messages = (changes: Change[]) =>
  changes.flatMap((c) =>
    c.kind === 'insert_message' ? [{ text: c.row.text, answered_by: c.row.answered_by }] : [],
  )

test('a customer message read in the same poll right after a person typed in that chat is not answered locally', async () => {
  const r = await captureBatch(context(), [
    bubble('张三', 'customer', '在吗'),
    bubble('张三', 'self', '我来处理'),
    bubble('张三', 'customer', '什么时候发货'),
    bubble('李四', 'customer', '什么时候发货'),
  ])
  expect(messages(r.changes)).toEqual([
    { text: '在吗', answered_by: 'local' },
    { text: '我来处理', answered_by: 'human' },
    { text: '什么时候发货', answered_by: null },
    { text: '什么时候发货', answered_by: 'local' },
  ])
  const replies = r.changes.filter((c) => c.kind === 'insert_reply')
  expect(replies).toHaveLength(2)
  expect(r.changes.filter((c) => c.kind === 'update_conversation')).toHaveLength(1)
})

test('the answerer is told of the customer messages read before in the same poll, which the replica lacks yet', async () => {
  const seen: { text: string; earlier: unknown }[] = []
  const ctx: CaptureContext = {
    ...context(),
    localAnswer: async (m) => {
      seen.push({ text: m.text, earlier: m.earlier })
      return m.text === '你好' ? { text: '您好', confidence: 1, sources: [] } : null
    },
  }
  await captureBatch(ctx, [
    bubble('王五', 'customer', '你好'),
    bubble('赵六', 'customer', '在吗'),
    bubble('王五', 'customer', '怎么退款'),
    bubble('王五', 'customer', '怎么退款'),
  ])
  expect(seen).toEqual([
    { text: '你好', earlier: [] },
    { text: '怎么退款', earlier: [{ text: '你好', mentioned: false, answered: true }] },
    {
      text: '怎么退款',
      earlier: [
        { text: '你好', mentioned: false, answered: true },
        { text: '怎么退款', mentioned: false, answered: false },
      ],
    },
    // Another chat's messages are not this one's.
    { text: '在吗', earlier: [] },
  ])
})
