/**
 * One conversation: header with its state, handler and the hand-off buttons (接管 / 释放), then
 * the timeline of customer messages and replies with their send status.
 */
import type { ConversationDetail, MessageItem, ReplyItem } from '../api.ts'
import { h } from './dom.ts'
import { stateBadge } from './conversation-list.ts'
import { formatClock, handOffActions, replyOriginLabel, replyStatusLabel } from './labels.ts'

export interface ViewProps {
  detail: ConversationDetail | null
  /** A take-over or release is in flight: the buttons wait. */
  busy: boolean
  now: number
  onTakeOver: (id: string) => void
  onRelease: (id: string) => void
}

function message(m: MessageItem, now: number): HTMLElement {
  const who = m.direction === 'in' ? (m.sender ?? '客户') : '我（在微信中输入）'
  return h(
    'li',
    { class: `item message ${m.direction}`, attrs: { 'data-id': m.id } },
    h('div', { class: 'bubble' }, m.text),
    h('div', { class: 'meta' }, `${formatClock(m.at, now)} · ${who}`),
  )
}

function reply(r: ReplyItem, now: number): HTMLElement {
  return h(
    'li',
    { class: `item reply status-${r.status}`, attrs: { 'data-id': r.id, 'data-status': r.status } },
    h('div', { class: 'bubble' }, r.text),
    h(
      'div',
      { class: 'meta' },
      `${formatClock(r.sentAt ?? r.at, now)} · ${replyOriginLabel(r.origin)} · `,
      h('span', { class: `reply-status status-${r.status}` }, replyStatusLabel(r.status)),
      r.status === 'failed' && r.error
        ? h('span', { class: 'reply-error' }, `（${r.error}）`)
        : null,
    ),
  )
}

/** The header (title, badge, buttons) of the open conversation. */
export function renderConversationHeader(p: ViewProps): Node[] {
  const d = p.detail
  if (!d) return []
  const c = d.conversation
  const can = handOffActions(c.state)
  const nodes: Node[] = [
    h('h2', { class: 'conv-name' }, c.kind === 'group' ? `群 · ${c.title}` : c.title),
    stateBadge(c.state),
  ]
  if (c.handler) nodes.push(h('span', { class: 'handler' }, `处理人：${c.handler}`))
  nodes.push(
    h(
      'span',
      { class: 'actions' },
      can.takeOver
        ? h(
            'button',
            {
              class: 'primary take-over',
              attrs: { type: 'button', disabled: p.busy, title: '由我来回复，机器人暂停' },
              onClick: () => p.onTakeOver(c.id),
            },
            '接管',
          )
        : null,
      can.release
        ? h(
            'button',
            {
              class: 'release',
              attrs: { type: 'button', disabled: p.busy, title: '交还给机器人' },
              onClick: () => p.onRelease(c.id),
            },
            '释放',
          )
        : null,
    ),
  )
  return nodes
}

/** The timeline of the open conversation. */
export function renderTimeline(p: ViewProps): Node[] {
  const d = p.detail
  if (!d) return [h('p', { class: 'empty' }, '在左侧选择一个会话')]
  if (d.items.length === 0) return [h('p', { class: 'empty' }, '这个会话还没有消息')]
  return [
    h(
      'ol',
      { class: 'timeline-items' },
      ...d.items.map((i) => (i.type === 'message' ? message(i, p.now) : reply(i, p.now))),
    ),
  ]
}
