/**
 * What the screen driver has already read in each chat, so a re-read emits only new bubbles
 * and OCR runs only on them.
 *
 * A chat's memory is the ordered list of bubble signatures seen so far (compared with a
 * tolerant `same`, see bubble-detect.ts). The screen shows the last few bubbles of the chat;
 * new ones arrive at the bottom. So what is read now holds a run that ends with the memory's
 * last bubble, and whatever follows that run is new:
 *
 *   memory      … a b c d
 *   read now          c d e f     → known 2, new: e f
 *   scrolled back   z a b c d e f → known 5, new: e f   (read reaches above the memory)
 *
 * The longest run wins, which keeps a repeated message ("好的", "好的") apart from the one
 * before it. When nothing matches, every bubble read is new; the caller scrolls back until
 * the run shows up (scroll-back.ts) or the top of the chat is reached.
 */

/** Where the known bubbles end in a list read now (see {@link findBoundary}). */
export interface Boundary {
  /** How many bubbles from the top are known: the last of them is the memory's last bubble. */
  known: number
  /** How many of those were compared with the memory (at most its size); 0 when none matched. */
  matched: number
}

/**
 * Where the bubbles already in `known` end in `seen` (both oldest first). A boundary `b`
 * qualifies when the `min(b, known.length)` bubbles before it equal the end of `known`.
 * The longest such match wins. A run covering the whole memory may occur more than once
 * (a customer repeating a sequence); the first occurrence is taken, so the repeat is new.
 */
export function findBoundary<T>(
  known: readonly T[],
  seen: readonly T[],
  same: (a: T, b: T) => boolean = Object.is,
): Boundary {
  const size = known.length
  const endsKnown = (b: number): boolean => {
    const k = Math.min(b, size)
    for (let i = 1; i <= k; i++) if (!same(seen[b - i] as T, known[size - i] as T)) return false
    return true
  }
  if (size === 0) return { known: 0, matched: 0 }
  // The whole memory matched: the earliest place it ends.
  for (let b = size; b <= seen.length; b++) if (endsKnown(b)) return { known: b, matched: size }
  // Only its end matched, from the top of what was read: the longest such run.
  for (let b = Math.min(size - 1, seen.length); b > 0; b--)
    if (endsKnown(b)) return { known: b, matched: b }
  return { known: 0, matched: 0 }
}

/** The memory of one chat. */
export interface ChatMemory<T> {
  /** Where the known bubbles end in `seen` (oldest first): the ones after them are new. */
  unseen(seen: readonly T[]): Boundary & { fresh: number }
  /** Records `bubble` as the next bubble of the chat and returns its sequence number. */
  remember(bubble: T): number
  readonly size: number
}

/** Creates an empty chat memory that keeps at most `limit` bubbles. */
export function createChatMemory<T>(same: (a: T, b: T) => boolean, limit = 500): ChatMemory<T> {
  const seen: T[] = []
  let nextSeq = 0
  return {
    unseen(read) {
      const at = findBoundary(seen, read, same)
      return { ...at, fresh: read.length - at.known }
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
