/**
 * Reading a chat further back than one screen: when more arrived than fit on the screen, the
 * message area is scrolled up page by page until enough has been read, then back down.
 *
 *   first screen ─► enough? ── yes ───────────────────────────────────► done ('screen')
 *                      no
 *                      ▼
 *   ┌─► wheel up n notches ─► nothing moved? ── yes ─► 'top' ───────────┐
 *   │   (settled)                no                                     │
 *   │                            ▼                                      │
 *   │   line up with the page below (page-stitch.ts)                    │
 *   │     · no shift fits (turned too far) ─► back down half, again     │
 *   │     · not the distance asked for     ─► look again (mid-scroll?)  │
 *   │     · still no fit ─► 'lost' ──────────────────────────────────────┤
 *   │                            ▼                                      │
 *   │   join it; measure px per notch ─► enough? ── yes ─► 'found' ─────┤
 *   │                            no                                     │
 *   └──────── pages < maxPages ──┘   else ─► 'page-limit' ──────────────┤
 *                                                                       ▼
 *                          wheel down until the first screen shows again (or nothing moves)
 *
 * The first turn is small, because how far one notch scrolls depends on the OS and the
 * client; later turns are sized from the measured distance so that consecutive pages overlap
 * by a good part of a screen, and always keep the top bubbles of the page below in view (the
 * overlap is what lines them up).
 *
 * Known limit: a run of one message repeated over more than the overlap ("在吗" × 20) lines
 * up at several shifts. Once a notch has been measured the scroll distance decides; but at
 * the very top of a chat the last turn stops short, and if such a run is all the two pages
 * share, the count of the run is a best guess.
 */
import {
  alignPages,
  createStitch,
  roomAbove,
  type Alignment,
  type PageItem,
  type Span,
} from './page-stitch.ts'

/** How far back the driver reads. */
export interface ScrollBackOptions {
  /** Most screens read above the first one; reaching it is reported as `'page-limit'`. */
  maxPages: number
  /** How far one turn scrolls, as a share of the message area's height (the rest overlaps). */
  step: number
  /** Notches of the first turn, before the distance of one notch has been measured. */
  firstNotches: number
}

/** About 100 short messages above the screen; a burst beyond that is reported, not read. */
export const DEFAULT_SCROLL_BACK: ScrollBackOptions = { maxPages: 20, step: 0.55, firstNotches: 1 }

/** How a read of the history ended. */
export type HistoryOutcome =
  /** Everything needed was on the first screen: nothing was scrolled. */
  | { kind: 'screen' }
  /** Scrolled back far enough. */
  | { kind: 'found'; pages: number }
  /** Reached the top of the chat before it was enough. */
  | { kind: 'top'; pages: number }
  /** Read `maxPages` screens and it was still not enough: older bubbles stay unread. */
  | { kind: 'page-limit'; pages: number }
  /** A screen did not line up with the one below it; reading stopped there. */
  | { kind: 'lost'; pages: number; alignment: Alignment }

/** One read of a chat's history (see {@link ScrollBack.read}); `F` is a screen grab. */
export interface HistoryRead<F, T extends PageItem> {
  /** The screen as read first, at the bottom of the chat. */
  first: F
  /** The bubbles fully visible on a screen, top to bottom. */
  itemsOf(screen: F): T[]
  /** Whether the bubbles read so far (oldest first) reach back far enough. */
  enough(items: readonly T[]): boolean
  /**
   * Turns the wheel over the message area (negative notches: up, to older bubbles) and returns
   * the screen once it has settled, or null when nothing moved (top or bottom reached). With
   * 0 notches it only looks again.
   */
  scroll(before: F, notches: number): Promise<F | null>
  /** Whether two screens show the message area alike (used to tell the bottom is reached). */
  sameView(a: F, b: F): boolean
  /** Whether two items show the same bubble. */
  same(a: T, b: T): boolean
  area: Span
}

/** The bubbles read, oldest first and each once, and how the read ended. */
export interface History<T> {
  items: T[]
  outcome: HistoryOutcome
  /** Whether the message area was scrolled back to the bottom afterwards. */
  atBottom: boolean
}

/** Reads chat histories; remembers how far a notch scrolls between reads. */
export interface ScrollBack {
  read<F, T extends PageItem>(r: HistoryRead<F, T>): Promise<History<T>>
  /** Pixels one wheel notch scrolled, once measured. */
  readonly pxPerNotch: number | null
}

/** One turn of the wheel up, and how its screen lines up with the one below. */
interface Turn<F> {
  screen: F
  /** Notches up from the screen below (less than asked when it backed down). */
  moved: number
  /** Screens read. */
  reads: number
  aligned: Alignment
}

/** Creates a history reader with {@link DEFAULT_SCROLL_BACK} overridden by `options`. */
export function createScrollBack(options: Partial<ScrollBackOptions> = {}): ScrollBack {
  const opts = { ...DEFAULT_SCROLL_BACK, ...options }
  // The largest distance seen: a screen caught before the scroll finished only undercounts,
  // and undercounting would make later turns overshoot the overlap.
  let pxPerNotch: number | null = null

  /** Turns the wheel down from `from`, `notches` up from the bottom; false if it never got there. */
  async function toBottom<F, T extends PageItem>(
    r: HistoryRead<F, T>,
    from: F,
    notches: number,
  ): Promise<boolean> {
    if (notches === 0) return true
    let screen = from
    for (let turn = 0; turn <= opts.maxPages + 1; turn++) {
      // More than went up: the scroll stops at the bottom, and new bubbles may have come.
      const next = await r.scroll(screen, turn === 0 ? notches + 2 : Math.max(2, notches))
      if (!next || r.sameView(next, r.first)) return true
      screen = next
    }
    return false
  }

  /**
   * Turns the wheel up `notches` from `screen` and lines the new screen up with `page` (the
   * bubbles of `screen`), looking again or backing down part of the way when that fails.
   */
  async function turnUp<F, T extends PageItem>(
    r: HistoryRead<F, T>,
    screen: F,
    page: readonly T[],
    notches: number,
  ): Promise<Turn<F> | null> {
    const first = await r.scroll(screen, -notches)
    if (!first) return null
    const align = (s: F, moved: number) =>
      alignPages(r.itemsOf(s), page, {
        same: r.same,
        area: r.area,
        expected: pxPerNotch === null ? null : moved * pxPerNotch,
      })
    const turn: Turn<F> = {
      screen: first,
      moved: notches,
      reads: 1,
      aligned: align(first, notches),
    }
    for (let look = 0; look < 3; look++) {
      const { aligned, moved } = turn
      let next: F | null
      if (aligned.kind === 'aligned') {
        // Not the distance asked for: the screen may have been grabbed before the scroll
        // finished (and the first turn measures the notch). Look again; when it was final,
        // the turn stopped short at the top of the chat.
        if (aligned.exact) break
        next = await r.scroll(turn.screen, 0)
      } else {
        // Too far for any bubble to be on both pages: back down part of the way.
        if (moved <= 1) break
        next = await r.scroll(turn.screen, Math.ceil(moved / 2))
        if (next) turn.moved -= Math.ceil(moved / 2)
      }
      if (!next) break
      turn.screen = next
      turn.reads++
      turn.aligned = align(next, turn.moved)
    }
    return turn
  }

  async function read<F, T extends PageItem>(r: HistoryRead<F, T>): Promise<History<T>> {
    const stitch = createStitch({ same: r.same, area: r.area })
    let page = r.itemsOf(r.first)
    stitch.add(page, 0)
    if (r.enough(stitch.items()))
      return { items: stitch.items(), outcome: { kind: 'screen' }, atBottom: true }
    const height = r.area.bottom - r.area.top
    let screen = r.first
    let notches = opts.firstNotches
    let up = 0
    let pages = 0
    let outcome: HistoryOutcome
    try {
      for (;;) {
        if (pages >= opts.maxPages) {
          outcome = { kind: 'page-limit', pages }
          break
        }
        const turn = await turnUp(r, screen, page, notches)
        if (!turn) {
          outcome = { kind: 'top', pages }
          break
        }
        screen = turn.screen
        up += turn.moved
        pages += turn.reads
        const { aligned, moved } = turn
        if (aligned.kind === 'unaligned') {
          outcome = { kind: 'lost', pages, alignment: aligned }
          break
        }
        // Only a shift that is sure measures the notch: a run of identical bubbles fits several.
        const measured = aligned.shift / moved
        if (aligned.fits === 1 || aligned.exact) pxPerNotch = Math.max(pxPerNotch ?? 0, measured)
        page = r.itemsOf(screen)
        stitch.add(page, aligned.shift)
        if (r.enough(stitch.items())) {
          outcome = { kind: 'found', pages }
          break
        }
        // A good part of a screen, but never so far that the top bubbles leave the view.
        const want = Math.min(opts.step * height, roomAbove(page, r.area, r.same))
        notches = Math.min(Math.max(1, Math.floor(want / (pxPerNotch ?? measured))), moved * 2)
      }
    } catch (err) {
      await toBottom(r, screen, up).catch(() => undefined)
      throw err
    }
    const atBottom = await toBottom(r, screen, up)
    return { items: stitch.items(), outcome, atBottom }
  }

  return {
    read,
    get pxPerNotch() {
      return pxPerNotch
    },
  }
}
