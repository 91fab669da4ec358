/**
 * The conversation list: title, state badge, last message and time, unanswered count. One
 * button per conversation; the selected one carries `aria-current`.
 */
import type { ConversationSummary } from '../api.ts'
import { h } from './dom.ts'
import { formatClock, stateLabel } from './labels.ts'

export interface ListProps {
  conversations: readonly ConversationSummary[]
  selectedId: string | null
  now: number
  onSelect: (id: string) => void
}

/** A conversation's state badge (also used in the conversation header). */
export function stateBadge(state: string): HTMLElement {
  return h(
    'span',
    { class: `badge state-${state}`, attrs: { 'data-state': state } },
    stateLabel(state),
  )
}

export function renderConversationList(p: ListProps): Node[] {
  if (p.conversations.length === 0)
    return [h('p', { class: 'empty' }, '还没有会话。微信里有新消息时会出现在这里。')]
  const items = p.conversations.map((c) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          class: 'conv',
          attrs: {
            type: 'button',
            'data-id': c.id,
            'data-state': c.state,
            'aria-current': c.id === p.selectedId ? 'true' : null,
          },
          onClick: () => p.onSelect(c.id),
        },
        h(
          'span',
          { class: 'conv-top' },
          h('span', { class: 'conv-title' }, c.kind === 'group' ? `群 · ${c.title}` : c.title),
          stateBadge(c.state),
        ),
        h(
          'span',
          { class: 'conv-bottom' },
          h('span', { class: 'conv-preview' }, c.preview ?? ''),
          c.unanswered > 0
            ? h('span', { class: 'unanswered', attrs: { title: '未回复的消息' } }, c.unanswered)
            : null,
          h(
            'time',
            { class: 'conv-time', attrs: { datetime: c.lastAt } },
            formatClock(c.lastAt, p.now),
          ),
        ),
      ),
    ),
  )
  return [h('ul', { class: 'conv-items' }, ...items)]
}
