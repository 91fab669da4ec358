import { expect, test } from 'vitest'
import { ConversationState, ReplyStatus } from '@kefu/schema'
import {
  formatAgo,
  formatClock,
  formatDuration,
  handOffActions,
  replyOriginLabel,
  replyStatusLabel,
  stateLabel,
} from './labels.ts'

test('every conversation state and reply status has a Chinese label', () => {
  expect(ConversationState.map(stateLabel)).toEqual([
    '未处理',
    '机器人',
    '待人工',
    '人工',
    '已结束',
  ])
  expect(ReplyStatus.map(replyStatusLabel)).toEqual([
    '排队中',
    '发送中',
    '已发送',
    '发送失败',
    '已取消',
  ])
  expect(replyOriginLabel('cloud_ai')).toBe('AI 回复')
  expect(stateLabel('someday')).toBe('someday')
})

test('take over is offered until a person holds the chat; release while one does or is wanted', () => {
  expect(handOffActions('bot')).toEqual({ takeOver: true, release: false })
  expect(handOffActions('unhandled')).toEqual({ takeOver: true, release: false })
  expect(handOffActions('waiting_human')).toEqual({ takeOver: true, release: true })
  expect(handOffActions('human')).toEqual({ takeOver: false, release: true })
  expect(handOffActions('ended')).toEqual({ takeOver: false, release: false })
})

test('durations and ages read naturally', () => {
  expect(formatDuration(250)).toBe('<1 秒')
  expect(formatDuration(12_400)).toBe('12 秒')
  expect(formatDuration(3 * 60_000 + 5)).toBe('3 分钟')
  expect(formatDuration(2 * 3_600_000)).toBe('2 小时')
  expect(formatDuration(4 * 86_400_000)).toBe('4 天')
  expect(formatDuration(-5)).toBe('<1 秒')
  const now = Date.parse('2024-05-01T10:00:00Z')
  expect(formatAgo(null, now)).toBe('—')
  expect(formatAgo('2024-05-01T09:59:59.500Z', now)).toBe('刚刚')
  expect(formatAgo('2024-05-01T09:59:30Z', now)).toBe('30 秒前')
})

test('clock times show the date only on another day', () => {
  const now = new Date(2024, 4, 1, 15, 0).getTime()
  expect(formatClock(new Date(2024, 4, 1, 9, 5).toISOString(), now)).toBe('09:05')
  expect(formatClock(new Date(2024, 2, 2, 14, 5).toISOString(), now)).toBe('3月2日 14:05')
})
