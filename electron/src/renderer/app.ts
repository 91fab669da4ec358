/**
 * The agent window (bundled for the browser by `scripts/build.ts`). It talks to the agent only
 * through `window.kefu` (the preload bridge) and redraws from what that returns:
 *
 *   onStatus tick ─► status bar ─► refresh: conversations() [+ messages(selected)]
 *                                     └─ redraw a panel only when its data changed
 *   click 接管 / 释放 ─► takeOver / release ─► refresh
 *
 * Customer text only ever reaches the DOM as text nodes (see dom.ts) and is never logged.
 */
import type { ConversationDetail, ConversationSummary, KefuApi, StatusView } from '../api.ts'
import { byId, h } from './dom.ts'
import { renderConversationList } from './conversation-list.ts'
import { renderConversationHeader, renderTimeline, type ViewProps } from './conversation-view.ts'
import { renderStatusBar } from './status-bar.ts'

const TOAST_MS = 6000

interface State {
  status: StatusView | null
  list: ConversationSummary[]
  selectedId: string | null
  detail: ConversationDetail | null
  busy: boolean
}

function start(api: KefuApi): void {
  const els = {
    status: byId('status-bar'),
    list: byId('conversations'),
    head: byId('conversation-head'),
    timeline: byId('timeline'),
    toast: byId('toast'),
  }
  const s: State = { status: null, list: [], selectedId: null, detail: null, busy: false }
  let shownList = ''
  let shownDetail = ''
  let toastTimer: ReturnType<typeof setTimeout> | undefined

  const toast = (text: string) => {
    els.toast.textContent = text
    els.toast.hidden = false
    clearTimeout(toastTimer)
    toastTimer = setTimeout(() => (els.toast.hidden = true), TOAST_MS)
  }
  const reason = (err: unknown) => (err instanceof Error ? err.message : String(err))

  const drawStatus = () => els.status.replaceChildren(...renderStatusBar(s.status, Date.now()))

  const drawList = () => {
    // Keep keyboard focus on the same conversation across redraws.
    const focused = (document.activeElement as HTMLElement | null)?.dataset['id']
    els.list.replaceChildren(
      ...renderConversationList({
        conversations: s.list,
        selectedId: s.selectedId,
        now: Date.now(),
        onSelect: select,
      }),
    )
    if (focused) els.list.querySelector<HTMLElement>(`[data-id="${CSS.escape(focused)}"]`)?.focus()
  }

  const viewProps = (): ViewProps => ({
    detail: s.detail,
    busy: s.busy,
    now: Date.now(),
    onTakeOver: (id) => void handOff(id, 'takeOver'),
    onRelease: (id) => void handOff(id, 'release'),
  })
  const drawHead = () => els.head.replaceChildren(...renderConversationHeader(viewProps()))
  const drawTimeline = (toBottom: boolean) => {
    const t = els.timeline
    const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 40
    t.replaceChildren(...renderTimeline(viewProps()))
    if (toBottom || atBottom) t.scrollTop = t.scrollHeight
  }

  const load = async () => {
    const list = await api.conversations()
    const listJson = JSON.stringify(list)
    if (listJson !== shownList) {
      s.list = list
      shownList = listJson
      drawList()
    }
    const id = s.selectedId
    if (id === null) return
    const detail = await api.messages(id)
    const detailJson = JSON.stringify(detail)
    if (s.selectedId !== id || detailJson === shownDetail) return
    const first = s.detail === null
    s.detail = detail
    shownDetail = detailJson
    drawHead()
    drawTimeline(first)
  }

  // One refresh at a time; a request during one runs once more right after it.
  let running = false
  let again = false
  let lastError = ''
  const refresh = async () => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        await load()
        lastError = ''
      } while (again)
    } catch (err) {
      // Say it once, not on every tick while it lasts.
      const msg = reason(err)
      if (msg !== lastError) toast(`刷新失败：${msg}`)
      lastError = msg
    } finally {
      running = false
    }
  }

  function select(id: string) {
    if (s.selectedId === id) return
    s.selectedId = id
    s.detail = null
    shownDetail = ''
    drawList()
    drawHead()
    drawTimeline(true)
    void refresh()
  }

  async function handOff(id: string, action: 'takeOver' | 'release') {
    s.busy = true
    drawHead()
    try {
      await api[action](id)
    } catch (err) {
      toast(`${action === 'takeOver' ? '接管' : '释放'}失败：${reason(err)}`)
    } finally {
      s.busy = false
      shownDetail = '' // redraw the buttons even if nothing else changed
      await refresh()
      drawHead()
    }
  }

  drawStatus()
  drawTimeline(true)
  api.onStatus((status) => {
    s.status = status
    drawStatus()
    void refresh()
  })
  api
    .status()
    .then((status) => {
      s.status ??= status
      drawStatus()
    })
    .catch((err: unknown) => toast(`无法读取代理状态：${reason(err)}`))
  void refresh()
}

const api = (window as unknown as { kefu?: KefuApi }).kefu
if (api) start(api)
else
  byId('status-bar').replaceChildren(
    h('span', { class: 'status-item offline' }, '未连接到客服代理：请从 kefu 桌面程序打开此窗口'),
  )
