/**
 * Message identity across re-reads. Each chat keeps a checkpoint (sealed in the journal, in the
 * same SQLite transaction as the captured changes): the fingerprints of the last bubbles
 * captured, and how often each text has occurred. After a restart the driver re-reads what is
 * visible; `align` drops the part already captured, so nothing is captured twice and nothing
 * new is missed. The occurrence count makes the dedup key of a repeated "好的" distinct.
 */
import { normaliseForKey } from '@kefu/schema'

export interface ChatCheckpoint {
  /** Fingerprints of the last captured bubbles, oldest first. */
  tail: string[]
  /** How many times each fingerprint was captured in this chat. */
  counts: Record<string, number>
}

export const TAIL = 60

export const emptyCheckpoint = (): ChatCheckpoint => ({ tail: [], counts: {} })

export function fingerprint(b: { side: string; sender: string | null; text: string }): string {
  return `${b.side}|${b.sender ?? ''}|${normaliseForKey(b.text)}`
}

/**
 * The index in `visible` (fingerprints as read now, oldest first) from which bubbles are new.
 * It is the end of the longest run of `visible` that equals the end of `tail`; when nothing
 * overlaps, everything visible is new.
 */
export function align(tail: readonly string[], visible: readonly string[]): number {
  if (tail.length === 0) return 0
  for (let end = visible.length; end > 0; end--) {
    const n = Math.min(end, tail.length)
    let ok = true
    for (let k = 1; k <= n; k++)
      if (visible[end - k] !== tail[tail.length - k]) {
        ok = false
        break
      }
    // A short overlap in the middle of the window proves little ("好的" is common); trust it
    // when it is long, covers the whole tail, or starts at the top of what is visible.
    if (ok && (n >= 3 || n === tail.length || n === end)) return end
  }
  return 0
}

/** Records a captured bubble; returns its occurrence number (0 for the first). */
export function recordBubble(cp: ChatCheckpoint, fp: string): number {
  const occurrence = cp.counts[fp] ?? 0
  cp.counts[fp] = occurrence + 1
  cp.tail.push(fp)
  if (cp.tail.length > TAIL) cp.tail.splice(0, cp.tail.length - TAIL)
  return occurrence
}
