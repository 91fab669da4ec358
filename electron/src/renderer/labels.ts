/**
 * The words and numbers of the agent window (Chinese UI): state and status labels, durations
 * and clock times. Pure, so Node tests cover them; the DOM modules only place them.
 */
import type { ConversationState, ReplyStatus } from '@kefu/schema'

/** Conversation states as the badges show them. */
export const STATE_LABEL: Readonly<Record<ConversationState, string>> = {
  unhandled: '未处理',
  bot: '机器人',
  waiting_human: '待人工',
  human: '人工',
  ended: '已结束',
}

/** Reply statuses as the timeline shows them. */
export const REPLY_STATUS_LABEL: Readonly<Record<ReplyStatus, string>> = {
  queued: '排队中',
  sending: '发送中',
  sent: '已发送',
  failed: '发送失败',
  cancelled: '已取消',
}

const REPLY_ORIGIN_LABEL: Readonly<Record<string, string>> = {
  cloud_ai: 'AI 回复',
  faq: '常见问题',
  rule: '规则',
  local: '离线应答',
  human: '人工',
}

/** Who wrote a reply, in a few words. */
export function replyOriginLabel(origin: string): string {
  return REPLY_ORIGIN_LABEL[origin] ?? origin
}

export function stateLabel(state: string): string {
  return (STATE_LABEL as Record<string, string>)[state] ?? state
}

export function replyStatusLabel(status: string): string {
  return (REPLY_STATUS_LABEL as Record<string, string>)[status] ?? status
}

/** Which hand-off buttons a conversation in `state` offers. */
export function handOffActions(state: string): { takeOver: boolean; release: boolean } {
  return {
    takeOver: state !== 'human' && state !== 'ended',
    release: state === 'human' || state === 'waiting_human',
  }
}

/** A duration for people: `<1 秒`, `12 秒`, `3 分钟`, `2 小时`, `4 天`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000
  if (s < 1) return '<1 秒'
  if (s < 60) return `${Math.floor(s)} 秒`
  if (s < 3600) return `${Math.floor(s / 60)} 分钟`
  if (s < 86_400) return `${Math.floor(s / 3600)} 小时`
  return `${Math.floor(s / 86_400)} 天`
}

/** How long ago `iso` was (`刚刚`, `12 秒前`), or `—` when it never happened. */
export function formatAgo(iso: string | null, now: number): string {
  if (iso === null) return '—'
  const ms = now - Date.parse(iso)
  return ms < 1000 ? '刚刚' : `${formatDuration(ms)}前`
}

const pad = (n: number) => String(n).padStart(2, '0')

/** A clock time in local time: `14:05` today, `3月2日 14:05` on another day. */
export function formatClock(iso: string, now: number): string {
  const d = new Date(iso)
  const today = new Date(now)
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  const sameDay =
    d.getFullYear() === today.getFullYear() &&
    d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate()
  return sameDay ? hm : `${d.getMonth() + 1}月${d.getDate()}日 ${hm}`
}
