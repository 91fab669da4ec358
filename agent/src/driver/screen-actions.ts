/**
 * The screen driver's hands: grabbing the window until it stops changing, clicking a chat
 * row and waiting for it to open, turning the wheel over the messages and waiting for them to
 * move, and pasting through the clipboard without losing what the user had on it. Each waits
 * by watching pixels, bounded by {@link ScreenTiming}.
 */
import type { Logger } from 'pino'
import { countInk, hashRect, type Bitmap, type Rect } from './bitmap.ts'
import type { Desktop } from './desktop.ts'
import { centre, isRowSelected, type UiParts, type WeChatLayout } from './screen-geometry.ts'

/** Waits and timeouts of the screen driver, ms. */
export interface ScreenTiming {
  settleIntervalMs: number
  settleTimeoutMs: number
  openTimeoutMs: number
  pasteTimeoutMs: number
  verifyTimeoutMs: number
  windowRefreshMs: number
  /** How long a wheel turn may take to move the messages; after that it hit the top or bottom. */
  scrollTimeoutMs: number
}

/** Defaults tuned against the look-alike under Xvfb; real WeChat renders in well under them. */
export const DEFAULT_TIMING: ScreenTiming = {
  settleIntervalMs: 30,
  settleTimeoutMs: 1500,
  openTimeoutMs: 2000,
  pasteTimeoutMs: 1500,
  verifyTimeoutMs: 3000,
  windowRefreshMs: 2000,
  scrollTimeoutMs: 500,
}

/** Dependencies of {@link createScreenActions}. */
export interface ScreenActionsDeps {
  desktop: Desktop
  layout: WeChatLayout
  timing: ScreenTiming
  logger: Logger
  now: () => Date
  sleep: (ms: number) => Promise<void>
}

/** Input-box ink (pixels) above which the box holds text. */
const INPUT_INK = 20

/** Grabbing, opening chats and pasting, against one located window. */
export type ScreenActions = ReturnType<typeof createScreenActions>

/** Creates the actions over `deps.desktop`. */
export function createScreenActions(deps: ScreenActionsDeps) {
  const { desktop: d, layout, timing, logger: log, now, sleep } = deps
  const grab = (p: UiParts): Promise<Bitmap> => d.grab(p.ui)

  /** Grabs until two grabs in a row are identical: the client finished drawing. */
  async function settled(p: UiParts): Promise<Bitmap> {
    let b = await grab(p)
    let h = hashRect(b, p.ui)
    const deadline = now().getTime() + timing.settleTimeoutMs
    while (now().getTime() < deadline) {
      await sleep(timing.settleIntervalMs)
      const next = await grab(p)
      const nh = hashRect(next, p.ui)
      if (nh === h) return next
      b = next
      h = nh
    }
    log.debug({ ms: timing.settleTimeoutMs }, 'screen did not settle')
    return b
  }

  /** Clicks a chat row and waits until it is selected and the pane has settled. */
  async function openRow(p: UiParts, b: Bitmap, row: Rect): Promise<Bitmap | null> {
    const wasSelected = isRowSelected(b, row, layout)
    const before = hashRect(b, p.titleText)
    // Right of the avatar and its badge, on the title and preview.
    await d.click({ x: row.x + Math.round(row.width * 0.6), y: centre(row).y })
    const deadline = now().getTime() + timing.openTimeoutMs
    while (now().getTime() < deadline) {
      await sleep(timing.settleIntervalMs)
      const next = await grab(p)
      const opened = wasSelected || hashRect(next, p.titleText) !== before
      if (isRowSelected(next, row, layout) && opened) return settled(p)
    }
    log.warn({ row: row.y }, 'chat did not open')
    return null
  }

  /**
   * Turns the wheel over the message area (negative notches: up, to older bubbles), waits
   * until the area moves and the screen settles, and returns it; null when the area did not
   * move within `scrollTimeoutMs` (the top or bottom of the chat). With 0 notches it lets the
   * screen settle again and returns it if the area differs from `before`.
   */
  async function scroll(p: UiParts, before: Bitmap, notches: number): Promise<Bitmap | null> {
    const was = hashRect(before, p.messages)
    if (notches === 0) {
      const again = await settled(p)
      return hashRect(again, p.messages) === was ? null : again
    }
    await d.scroll(centre(p.messages), notches)
    const deadline = now().getTime() + timing.scrollTimeoutMs
    for (;;) {
      if (hashRect(await grab(p), p.messages) !== was) return settled(p)
      if (now().getTime() >= deadline) return null
      await sleep(timing.settleIntervalMs)
    }
  }

  /** Waits until the input box shows (or stops showing) text; `timeoutMs` 0 looks once. */
  async function waitInput(p: UiParts, hasText: boolean, timeoutMs: number): Promise<boolean> {
    const deadline = now().getTime() + timeoutMs
    for (;;) {
      const b = await grab(p)
      if (countInk(b, p.input) > INPUT_INK === hasText) return true
      if (now().getTime() >= deadline) return false
      await sleep(timing.settleIntervalMs)
    }
  }

  /**
   * Puts `text` on the clipboard and waits until reading it back agrees: on X11 the new owner
   * (xsel) takes the selection a moment after the write returns, and pasting before that
   * would paste the old content.
   */
  async function setClipboard(text: string): Promise<boolean> {
    await d.writeClipboard(text)
    const deadline = now().getTime() + timing.pasteTimeoutMs
    while ((await d.readClipboard()) !== text) {
      if (now().getTime() >= deadline) return false
      await sleep(timing.settleIntervalMs)
    }
    return true
  }

  /**
   * Runs `fn` with `text` on the clipboard, then puts back what the user had there (text
   * only: an image on the clipboard cannot be restored).
   */
  async function withClipboard<T>(text: string, fn: () => Promise<T>, fallback: T): Promise<T> {
    const saved = await d.readClipboard()
    try {
      return (await setClipboard(text)) ? await fn() : fallback
    } finally {
      if (!(await setClipboard(saved))) log.warn('could not restore the clipboard')
    }
  }

  /** Pastes `text` into the input box; true once it shows there. */
  function paste(p: UiParts, text: string): Promise<boolean> {
    return withClipboard(
      text,
      async () => {
        for (let attempt = 0; attempt < 2; attempt++) {
          await d.click(centre(p.input))
          await d.press('paste')
          // The clipboard is restored only once the client has read it.
          if (await waitInput(p, true, timing.pasteTimeoutMs)) return true
        }
        return false
      },
      false,
    )
  }

  /** Opens a chat through the search box (Ctrl+F, paste the name, Enter). */
  async function search(p: UiParts, name: string): Promise<void> {
    await withClipboard(
      name,
      async () => {
        await d.click(centre(p.search))
        await d.press('find')
        await d.press('paste')
        await sleep(300)
        await d.press('enter')
      },
      undefined,
    )
  }

  return { grab, settled, openRow, scroll, waitInput, paste, search }
}
