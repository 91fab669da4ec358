/**
 * Shape log offsets. A real offset is `<lsn>_<op>`: the commit-order LSN of a transaction and
 * the change-log id of one change in it, `inf` meaning "after the whole transaction".
 * `-1` is before everything; `now` (request only) skips history.
 */
export type Offset =
  | { kind: 'start' }
  | { kind: 'now' }
  | { kind: 'at'; lsn: bigint; op: bigint | 'inf' }

const RE = /^(\d{1,19})_(\d{1,19}|inf)$/

export function parseOffset(raw: string): Offset | null {
  if (raw === '-1') return { kind: 'start' }
  if (raw === 'now') return { kind: 'now' }
  const m = RE.exec(raw)
  if (!m) return null
  return { kind: 'at', lsn: BigInt(m[1]!), op: m[2] === 'inf' ? 'inf' : BigInt(m[2]!) }
}

export function formatOffset(lsn: bigint, op: bigint | 'inf' = 'inf'): string {
  return `${lsn}_${op}`
}

/** Whether change (lsn, op) comes after offset `o`. */
export function isAfter(o: { lsn: bigint; op: bigint | 'inf' }, lsn: bigint, op: bigint): boolean {
  if (lsn !== o.lsn) return lsn > o.lsn
  return o.op !== 'inf' && op > o.op
}
