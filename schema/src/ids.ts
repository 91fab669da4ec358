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
