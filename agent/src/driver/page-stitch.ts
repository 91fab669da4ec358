/**
 * Lining up screenfuls of one chat read while scrolling up through its history, and joining
 * them into one list, oldest first. Pure: bubble positions and a comparison in, order out.
 *
 *   lower page (read first)       upper page (scrolled up: content moved down by d)
 *   ┌─────────────┐               ┌─────────────┐
 *   │ c           │               │ a           │  ← new: above everything read so far
 *   │ d           │      ──►      │ b           │
 *   │ d           │               │ c   (c.top + d)
 *   │ e           │               │ d           │
 *   └─────────────┘               └─────────────┘
 *
 * Every bubble moves by the same d, so candidate shifts come from pairs of like bubbles, and
 * a shift is accepted only when every bubble that must be fully visible on both pages at that
 * shift is there, alike, on both. Two identical bubbles in a row ("好的", "好的") are told
 * apart by where they are, never merged by what they say.
 */

/** A bubble fully visible on one page; `top` in screen pixels. */
export interface PageItem {
  top: number
  height: number
}

/** The rows of the message area, screen y in [top, bottom). */
export interface Span {
  top: number
  bottom: number
}

/** Options shared by {@link alignPages} and {@link createStitch}. */
export interface StitchOptions<T> {
  /** Whether two page items show the same bubble (see bubble-detect.ts `sameBubble`). */
  same: (a: T, b: T) => boolean
  area: Span
  /** How far (px) one bubble's position may differ between two reads of it. */
  tolerance?: number
}

/**
 * How an upper page lines up with the page below it: the shift, how many bubbles the pages
 * share at it, how many shifts fit in all, and whether it is the expected one.
 */
export type Alignment =
  | { kind: 'aligned'; shift: number; matched: number; fits: number; exact: boolean }
  | { kind: 'unaligned'; candidates: number }

const TOLERANCE = 2

/**
 * The shift `d` (px, > 0) such that a bubble at `top` on `lower` is at `top + d` on `upper`.
 *
 * A run of identical bubbles can fit more than one shift: one period less, the run lines up
 * with itself one bubble further on. Then a shift equal to `expected` (the measured distance
 * of the wheel turn) wins, as the scroll went the full way; failing that, the shift with the
 * most bubbles in common, which is the true one as long as the overlap holds a bubble that
 * differs from the one before it (see {@link roomAbove}).
 */
export function alignPages<T extends PageItem>(
  upper: readonly T[],
  lower: readonly T[],
  opts: StitchOptions<T> & { expected?: number | null },
): Alignment {
  const tol = opts.tolerance ?? TOLERANCE
  const shifts: number[] = []
  for (const u of upper)
    for (const l of lower) {
      const d = u.top - l.top
      if (d > 0 && opts.same(u, l) && !shifts.some((s) => Math.abs(s - d) <= tol)) shifts.push(d)
    }
  const valid = shifts
    .flatMap((d) => {
      const matched = consistent(upper, lower, d, opts, tol)
      return matched > 0 ? [{ d, matched }] : []
    })
    .sort((a, b) => b.matched - a.matched || a.d - b.d)
  const expected = opts.expected ?? null
  const exact = expected === null ? undefined : valid.find((v) => Math.abs(v.d - expected) <= tol)
  const best = exact ?? valid[0]
  if (!best) return { kind: 'unaligned', candidates: shifts.length }
  const fits = valid.length
  return { kind: 'aligned', shift: best.d, matched: best.matched, fits, exact: best === exact }
}

/**
 * How far (px) the content may move down while the top bubbles of `page` stay in full view,
 * so the next page up still has them to line up with. It keeps the top two, and more while
 * they are all alike: a run of identical bubbles alone would line up at more than one shift.
 * 0 for an empty page.
 */
export function roomAbove<T extends PageItem>(
  page: readonly T[],
  area: Span,
  same: (a: T, b: T) => boolean,
): number {
  const sorted = [...page].sort((a, b) => a.top - b.top)
  const first = sorted[0]
  if (!first) return 0
  let keep = Math.min(2, sorted.length)
  while (keep < sorted.length && sorted.slice(1, keep).every((b) => same(b, first))) keep++
  const lowest = Math.max(...sorted.slice(0, keep).map((b) => b.top + b.height))
  return Math.max(0, area.bottom - 1 - 2 * TOLERANCE - lowest)
}

/** Whether `item` moved by `dy` lies on the page with room to spare (so it was found there). */
function inside(item: PageItem, dy: number, area: Span, tol: number): boolean {
  const top = item.top + dy
  return top - tol > area.top && top + item.height - 1 + tol < area.bottom - 1
}

/** How many bubbles two pages share at shift `d`; 0 when one is missing from either side. */
function consistent<T extends PageItem>(
  upper: readonly T[],
  lower: readonly T[],
  d: number,
  opts: StitchOptions<T>,
  tol: number,
): number {
  const at = (page: readonly T[], item: T, top: number): boolean =>
    page.some((x) => Math.abs(x.top - top) <= tol && opts.same(x, item))
  let matched = 0
  for (const l of lower) {
    if (!inside(l, d, opts.area, tol)) continue
    if (!at(upper, l, l.top + d)) return 0
    matched++
  }
  for (const u of upper) if (inside(u, -d, opts.area, tol) && !at(lower, u, u.top - d)) return 0
  return matched
}

/** Pages joined so far (see {@link createStitch}). */
export interface Stitch<T> {
  /**
   * Adds a page read `shift` px above the previous one (0 for the first page); returns how
   * many of its bubbles were not on the pages before.
   */
  add(page: readonly T[], shift: number): number
  /** Every bubble read, oldest first, each once. */
  items(): T[]
}

/** Starts joining pages, bottom page first, each further up (see the module comment). */
export function createStitch<T extends PageItem>(opts: StitchOptions<T>): Stitch<T> {
  const tol = opts.tolerance ?? TOLERANCE
  // Position in the first page's coordinates: the bottom page's top is 0 offset.
  let entries: Array<{ at: number; item: T }> = []
  let offset = 0
  return {
    add(page, shift) {
      offset += shift
      let added = 0
      for (const item of page) {
        const at = item.top - offset
        if (entries.some((e) => Math.abs(e.at - at) <= tol && opts.same(e.item, item))) continue
        entries.push({ at, item })
        added++
      }
      entries = entries.sort((a, b) => a.at - b.at)
      return added
    },
    items: () => entries.map((e) => e.item),
  }
}
