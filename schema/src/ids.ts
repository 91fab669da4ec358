import { createHash } from 'node:crypto'
import { uuidv7 } from 'uuidv7'

/** A new time-ordered id (UUIDv7), safe to create offline on any agent. */
export function newId(): string {
  return uuidv7()
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether `v` is a UUID in canonical text form. */
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID_RE.test(v)
}

/**
 * A stable UUID (version 8, name-based over SHA-256) for rows whose identity is natural: the
 * conversation of a WeChat chat, the customer of a contact. An agent that re-creates one
 * offline (after losing its replica, say) lands on the same id as the cloud's row.
 */
export function stableId(...parts: string[]): string {
  const h = createHash('sha256')
  for (const p of parts) h.update(p).update('\u0000')
  const b = h.digest().subarray(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x80
  b[8] = (b[8]! & 0x3f) | 0x80
  const x = b.toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}
