/**
 * The status bar: online/offline, sync lag, outbox depth (and rejected changes), WeChat window
 * found, last capture. Re-rendered on every status tick (ages move on their own).
 */
import type { StatusView } from '../api.ts'
import { h } from './dom.ts'
import { formatAgo, formatDuration } from './labels.ts'

function item(
  key: string,
  label: string,
  value: string,
  tone: 'ok' | 'warn' | 'bad' | 'plain' = 'plain',
): HTMLElement {
  return h(
    'span',
    { class: `status-item tone-${tone}`, attrs: { 'data-k': key } },
    h('span', { class: 'status-label' }, label),
    h('span', { class: 'status-value' }, value),
  )
}

/** The status bar's content for `s` (null: no status yet). */
export function renderStatusBar(s: StatusView | null, now: number): Node[] {
  if (s === null) return [item('online', '连接', '正在连接代理…', 'warn')]
  const lag = s.syncLagMs === null ? '—' : formatDuration(s.syncLagMs)
  const nodes = [
    h(
      'span',
      {
        class: `status-item conn ${s.online ? 'online' : 'offline'}`,
        attrs: { 'data-k': 'online', 'data-online': String(s.online) },
      },
      h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }),
      s.online ? '在线' : '离线',
    ),
    item('sync', '同步延迟', lag, s.replicaUpToDate ? 'plain' : 'warn'),
    item('outbox', '待上传', String(s.outboxDepth), s.outboxDepth > 0 ? 'warn' : 'plain'),
    item('window', '微信窗口', s.windowFound ? '已找到' : '未找到', s.windowFound ? 'ok' : 'bad'),
    item('capture', '最近采集', formatAgo(s.lastCaptureAt, now)),
  ]
  if (s.rejectedChanges > 0)
    nodes.push(item('rejected', '被拒绝', String(s.rejectedChanges), 'bad'))
  return nodes
}
