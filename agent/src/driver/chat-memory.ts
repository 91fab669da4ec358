/**
 * What the screen driver has already read in each chat, so a re-read emits only new bubbles
 * and OCR runs only on them.
 *
 * A chat's memory is the ordered list of bubble signatures seen so far (compared with a
 * tolerant `same`, see bubble-detect.ts). The screen shows the
 * last few bubbles of the chat; new ones arrive at the bottom. So the visible list starts with
 * a run that is a suffix of the memory, and whatever follows that run is new:
 *
 *   memory   … a b c d
 *   visible        c d e f     → overlap 2, new: e f
 *
 * The longest overlap wins, which keeps a repeated message ("好的", "好的") apart from the
 * one before it. When nothing overlaps, every visible bubble is new (more arrived than fit on
 * the screen, and the ones above are lost until scrolling is supported).
 */

/** How many visible bubbles (from the top) the memory already holds. */
export function overlap<T>(
  known: readonly T[],
  visible: readonly T[],
  same: (a: T, b: T) => boolean = Object.is,
): number {
  for (let p = Math.min(known.length, visible.length); p > 0; p--) {
    let match = true
    for (let i = 0; i < p && match; i++)
      match = same(visible[i] as T, known[known.length - p + i] as T)
    if (match) return p
  }
  return 0
}

/** The memory of one chat. */
export interface ChatMemory<T> {
  /** How many visible bubbles are known (from the top) and how many follow them (new). */
  unseen(visible: readonly T[]): { known: number; fresh: number }
  /** Records `bubble` as the next bubble of the chat and returns its sequence number. */
  remember(bubble: T): number
  readonly size: number
}

/** Creates an empty chat memory that keeps at most `limit` bubbles. */
export function createChatMemory<T>(same: (a: T, b: T) => boolean, limit = 500): ChatMemory<T> {
  const seen: T[] = []
  let nextSeq = 0
  return {
    unseen(visible) {
      const known = overlap(seen, visible, same)
      return { known, fresh: visible.length - known }
    },
    remember(bubble) {
      const seq = nextSeq++
      seen.push(bubble)
      if (seen.length > limit) seen.splice(0, seen.length - limit)
      return seq
    },
    get size() {
      return seen.length
    },
  }
}
