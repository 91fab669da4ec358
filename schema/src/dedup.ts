import { createHash } from 'node:crypto'

/**
 * Normalises captured text for identity: NFKC (full-width → half-width letters and digits),
 * whitespace removed (OCR spacing between CJK characters is noise), lower-cased.
 */
export function normaliseForKey(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '').toLowerCase()
}

export interface DedupInput {
  agentId: string
  chatKey: string
  sender: string | null
  direction: 'in' | 'out'
  text: string
  /** Position of this message among identical texts in the chat (0 for the first). */
  occurrence: number
}

/**
 * The deterministic identity of a captured message. Re-reading a chat (scroll, re-render,
 * restart) yields the same key, so the database's unique index turns re-captures into no-ops.
 * The occurrence counter keeps a customer who says "好的" twice as two messages.
 */
export function messageDedupKey(m: DedupInput): string {
  const h = createHash('sha256')
  for (const part of [m.agentId, m.chatKey, m.sender ?? '', m.direction, normaliseForKey(m.text)])
    h.update(part).update('\u0000')
  h.update(String(m.occurrence))
  return `m1:${h.digest('base64url').slice(0, 32)}`
}
