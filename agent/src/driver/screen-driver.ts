/**
 * The `screen` WeChat driver: reads the PC client's window with screen grabs and OCR, and
 * sends by clipboard paste + Enter (CJK cannot be typed as key strokes).
 *
 *   poll ─► locate window ─► open chat changed? ─► settle ─► read new bubbles
 *                         └► unread badge?  ─► read count ─► click row ─► settle ─► read
 *   read ─► screen reaches the known bubbles / the badge count? ─ no ─► scroll back page by
 *           page, join the pages, scroll down again (scroll-back.ts) ─► OCR the new bubbles
 *   send ─► open chat (title bar / list rows / search) ─► clipboard ─► Ctrl+V ─► Enter
 *        ─► restore clipboard ─► verify our green bubble (Enter once more if needed)
 *
 * Chats are keyed by their title. Per chat, a memory of bubble signatures (chat-memory.ts)
 * decides which bubbles are new, so OCR runs only on those (chat-reader.ts); own sends
 * (own-sends.ts) are recognised and never reported. Calls are serialised: a poll and a send
 * never move the mouse at the same time.
 */
import type { Logger } from 'pino'
import type { Bitmap, Rect } from './bitmap.ts'
import { createChatReader, type UnreadHint } from './chat-reader.ts'
import { DriverError, type DriverStatus, type SendResult, type WeChatDriver } from './driver.ts'
import { findBubbles } from './bubble-detect.ts'
import { createNutDesktop, type Desktop } from './desktop.ts'
import { createTesseractOcr, type OcrEngine } from './ocr.ts'
import { createOwnSends } from './own-sends.ts'
import {
  createScreenActions,
  DEFAULT_TIMING,
  type ScreenActions,
  type ScreenTiming,
} from './screen-actions.ts'
import {
  DEFAULT_LAYOUT,
  findBadge,
  locateUi,
  uiParts,
  type UiParts,
  type WeChatLayout,
} from './screen-geometry.ts'
import {
  readBadgeCount,
  readBubbleText,
  readRowTitle,
  readTitle,
  type TextCache,
} from './screen-reader.ts'
import type { ScrollBackOptions } from './scroll-back.ts'
import { canonicalText, similarity } from './text-normalise.ts'

/** How many of our latest bubbles `hasSent` reads. */
const RECENT_OWN = 5

/** Options for {@link createScreenDriver}. */
export interface ScreenDriverOptions {
  logger: Logger
  /** Defaults to nut-js, loaded on `start()`. */
  desktop?: Desktop
  /** Defaults to tesseract.js with traineddata from `langPath`. */
  ocr?: OcrEngine
  langPath?: string
  layout?: WeChatLayout
  /** Title of the WeChat window; default 微信 / WeChat / Weixin. */
  windowTitle?: RegExp
  /** Where to look when no window has that title; default the whole screen. */
  region?: Rect
  /** Our display name in groups, for @-mentions. */
  selfName?: string | null
  timing?: Partial<ScreenTiming>
  /** How far back a chat is scrolled when more arrived than fit on the screen. */
  scrollBack?: Partial<ScrollBackOptions>
  now?: () => Date
  sleep?: (ms: number) => Promise<void>
}

/** Creates the screen driver (nothing touches the screen before `start()`). */
export function createScreenDriver(opts: ScreenDriverOptions): WeChatDriver {
  const log = opts.logger.child({ component: 'screen-driver' })
  const layout = opts.layout ?? DEFAULT_LAYOUT
  const timing = { ...DEFAULT_TIMING, ...opts.timing }
  const now = opts.now ?? (() => new Date())
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const windowTitle = opts.windowTitle ?? /^(微信|WeChat|Weixin)$/i
  const ocr =
    opts.ocr ??
    createTesseractOcr({
      logger: opts.logger,
      ...(opts.langPath ? { langPath: opts.langPath } : {}),
    })
  const own = createOwnSends({ now: () => now().getTime() })
  const titleCache: TextCache = new Map()
  const rowCache: TextCache = new Map()
  let desktop: Desktop | null = opts.desktop ?? null
  let parts: UiParts | null = null
  let foundAt = 0
  let lastCaptureAt: Date | null = null
  let lock: Promise<unknown> = Promise.resolve()
  const reader = createChatReader({
    ocr,
    layout,
    own,
    logger: log,
    now,
    selfName: opts.selfName ?? null,
    titleCache,
    // Resolved on use: the desktop (and so the actions) exists only once started.
    pager: { scroll: (p, before, notches) => act().scroll(p, before, notches) },
    ...(opts.scrollBack ? { scrollBack: opts.scrollBack } : {}),
  })

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn)
    lock = run.catch(() => undefined)
    return run
  }
  const must = (): Desktop => {
    if (!desktop) throw new Error('screen driver not started')
    return desktop
  }
  let actions: ScreenActions | null = null
  const act = (): ScreenActions =>
    (actions ??= createScreenActions({ desktop: must(), layout, timing, logger: log, now, sleep }))

  async function locate(): Promise<UiParts | null> {
    const t = now().getTime()
    if (parts && t - foundAt < timing.windowRefreshMs) return parts
    const d = must()
    const win = (await d.windows())
      .filter((w) => windowTitle.test(w.title) && w.rect.width > 300 && w.rect.height > 300)
      .sort((a, b) => b.rect.width * b.rect.height - a.rect.width * a.rect.height)[0]
    const screen = await d.screenSize()
    const region = win?.rect ?? opts.region ?? { x: 0, y: 0, ...screen }
    const x = Math.max(0, region.x)
    const y = Math.max(0, region.y)
    const clipped = {
      x,
      y,
      width: Math.min(region.width, screen.width - x),
      height: Math.min(region.height, screen.height - y),
    }
    const ui = locateUi(await d.grab(clipped), layout)
    if (!ui) {
      if (parts) log.warn('wechat window lost')
      parts = null
      return null
    }
    if (!parts || parts.ui.width !== ui.width || parts.ui.height !== ui.height) {
      // Bubbles re-wrap at a new size, so their signatures no longer match the memories.
      if (parts) reader.forgetLayout()
      log.info({ ui, byTitle: Boolean(win) }, 'wechat window found')
    }
    parts = uiParts(ui, layout)
    foundAt = t
    return parts
  }

  /** Reads the open chat if anything in it changed since it was last read. */
  async function readIfChanged(p: UiParts, b: Bitmap, hint: UnreadHint): Promise<Bitmap> {
    if (!reader.changed(b, p)) return b
    const s = await act().settled(p)
    await reader.read(s, p, hint)
    return s
  }

  async function pollOnce(): Promise<void> {
    const p = await locate()
    if (!p) return
    let b = await readIfChanged(p, await act().grab(p), null)
    for (let round = 0; round < 12; round++) {
      const target = p.rows
        .map((row) => ({ row, badge: findBadge(b, row, layout) }))
        .find((r) => r.badge)
      if (!target?.badge) break
      const count = await readBadgeCount(ocr, b, target.badge)
      const opened = await act().openRow(p, b, target.row)
      if (!opened) break
      b = opened
      await reader.read(b, p, count ?? 'trailing')
    }
    lastCaptureAt = now()
  }

  const sameChat = (shown: string, key: string): boolean => {
    const a = canonicalText(shown)
    const k = canonicalText(key)
    if (a === k) return true
    const cut = a.replace(/(\.\.\.|…)$/, '')
    return (cut !== a && cut.length >= 2 && k.startsWith(cut)) || similarity(shown, key) >= 0.85
  }

  /** Makes `chatKey` the open chat; returns its key as read from the title bar, or null. */
  async function openChat(p: UiParts, chatKey: string): Promise<string | null> {
    let b = await act().grab(p)
    const current = await readTitle(ocr, b, p.titleText, titleCache)
    if (current && sameChat(current.title, chatKey)) {
      await readIfChanged(p, b, null)
      return current.title
    }
    for (const row of p.rows) {
      const name = await readRowTitle(ocr, b, row, rowCache, layout)
      if (name === '' || !sameChat(name, chatKey)) continue
      const badge = findBadge(b, row, layout)
      const count = badge ? await readBadgeCount(ocr, b, badge) : null
      const opened = await act().openRow(p, b, row)
      if (!opened) return null
      const key = await reader.read(opened, p, badge ? (count ?? 'trailing') : null)
      return key !== null && sameChat(key, chatKey) ? key : null
    }
    // Not in the visible list: WeChat's search (Ctrl+F, name, Enter) opens any chat.
    await act().search(p, chatKey)
    b = await act().settled(p)
    const key = await reader.read(b, p, null)
    if (key !== null && sameChat(key, chatKey)) return key
    await must().press('escape')
    return null
  }

  /** Reads the chat until our bubble shows up or the time is up. */
  async function verify(p: UiParts, send: { matched: boolean }): Promise<boolean> {
    const deadline = now().getTime() + timing.verifyTimeoutMs
    while (now().getTime() < deadline && !send.matched) {
      await readIfChanged(p, await act().grab(p), null)
      if (!send.matched) await sleep(timing.settleIntervalMs)
    }
    return send.matched
  }

  async function sendOnce(chatKey: string, text: string): Promise<SendResult> {
    const p = await locate()
    if (!p) return { ok: false, reason: 'wechat window not found' }
    const key = await openChat(p, chatKey)
    if (key === null) return { ok: false, reason: 'chat not found' }
    // A draft in the box is a person writing: never send it along with our text.
    if (await act().waitInput(p, true, 0))
      return { ok: false, reason: 'input box not empty (a person is typing)' }
    const send = own.add(key, text)
    const ownBefore = reader.selfCount(key)
    if (!(await act().paste(p, text))) {
      own.remove(send)
      return { ok: false, reason: 'paste did not reach the input box' }
    }
    await must().press('enter')
    if (await verify(p, send)) return { ok: true, verifiedAt: now() }
    // Something of ours went out but reads differently: sending again could double it.
    if (reader.selfCount(key) > ownBefore)
      return { ok: false, reason: 'our bubble reads differently' }
    // Retry once: Enter again if the text still sits in the box, else paste it again.
    log.warn({ chars: text.length }, 'send not verified, retrying')
    if (await act().waitInput(p, true, 0)) await must().press('enter')
    else if (await act().paste(p, text)) await must().press('enter')
    if (await verify(p, send)) return { ok: true, verifiedAt: now() }
    return { ok: false, reason: 'our bubble did not appear' }
  }

  /** Looks for `text` among the last of our bubbles in the chat (see WeChatDriver.hasSent). */
  async function hasSentOnce(chatKey: string, text: string): Promise<boolean> {
    const p = await locate()
    if (!p) throw new DriverError('window', 'wechat window not found')
    const key = await openChat(p, chatKey)
    if (key === null) throw new DriverError('chat', 'chat not found')
    const b = await act().settled(p)
    const ours = findBubbles(b, p.messages, layout)
      .filter((x) => x.side === 'self' && !x.clipped)
      .slice(-RECENT_OWN)
    for (const box of ours.reverse()) {
      const shown = await readBubbleText(ocr, b, box, p.messages, layout)
      if (similarity(shown, text) >= 0.85) return true
    }
    return false
  }

  return {
    async start() {
      desktop ??= await createNutDesktop()
      await ocr.start()
      const p = await exclusive(locate)
      if (p) await exclusive(async () => reader.baseline(await act().grab(p), p))
      else log.warn('wechat window not found yet')
    },
    poll: () =>
      exclusive(async () => {
        await pollOnce()
        return reader.drain()
      }),
    send: (chatKey, text) => exclusive(() => sendOnce(chatKey, text)),
    hasSent: (chatKey, text) => exclusive(() => hasSentOnce(chatKey, text)),
    status: (): DriverStatus => ({ windowFound: parts !== null, lastCaptureAt }),
    async stop() {
      await exclusive(async () => {
        await ocr.stop()
        parts = null
      })
    },
  }
}
