/**
 * Turning change-log entries into a shape's log messages (Electric §1.6, §1.9): where-clause
 * move-in/move-out, `replica=default|full`, column projection, `last` on a transaction's final
 * message for this shape.
 */
import type { LogEntry, RowImage } from './log-tail.ts'
import { rowKey, type TableInfo } from './table-info.ts'

export type Operation = 'insert' | 'update' | 'delete'

export interface ChangeMessage {
  key: string
  value: RowImage
  old_value?: RowImage
  headers: {
    operation: Operation
    relation: [string, string]
    lsn?: string
    op_position?: number
    txids?: number[]
    last?: boolean
  }
}

export interface ShapeView {
  info: TableInfo
  columns: readonly string[]
  replica: 'default' | 'full'
}

/** Where-clause membership of an entry's old and new images (null: no such image). */
export interface Membership {
  newMatch: boolean | null
  oldMatch: boolean | null
}

const project = (row: RowImage, cols: readonly string[]): RowImage => {
  const out: RowImage = {}
  for (const c of cols) out[c] = row[c] ?? null
  return out
}

export function snapshotMessage(view: ShapeView, row: RowImage): ChangeMessage {
  return {
    key: rowKey(view.info, row),
    value: project(row, view.columns),
    headers: { operation: 'insert', relation: [view.info.schema, view.info.name] },
  }
}

/** The message (if any) that one log entry contributes to a shape. */
export function entryMessage(view: ShapeView, e: LogEntry, m: Membership): ChangeMessage | null {
  const { info, columns, replica } = view
  const relation: [string, string] = [info.schema, info.name]
  const headers = (operation: Operation) => ({
    operation,
    relation,
    lsn: e.lsn.toString(),
    op_position: Number(e.id),
    txids: [Number(e.txid & 0xffffffffn)],
  })
  const pkOnly = (row: RowImage) => project(row, info.pk)
  switch (e.op) {
    case 'insert':
      if (!m.newMatch || !e.newRow) return null
      return { key: rowKey(info, e.newRow), value: project(e.newRow, columns), headers: headers('insert') }
    case 'delete':
      if (!m.oldMatch || !e.oldRow) return null
      return {
        key: rowKey(info, e.oldRow),
        value: replica === 'full' ? project(e.oldRow, columns) : pkOnly(e.oldRow),
        headers: headers('delete'),
      }
    case 'update': {
      const n = e.newRow!
      const o = e.oldRow!
      if (m.oldMatch && m.newMatch) {
        const changed = columns.filter((c) => n[c] !== o[c])
        if (changed.length === 0) return null
        const msg: ChangeMessage = {
          key: rowKey(info, n),
          value:
            replica === 'full'
              ? project(n, columns)
              : { ...pkOnly(n), ...project(n, changed) },
          headers: headers('update'),
        }
        if (replica === 'full') msg.old_value = project(o, changed)
        return msg
      }
      if (m.oldMatch)
        // Moved out of the shape.
        return {
          key: rowKey(info, o),
          value: replica === 'full' ? project(o, columns) : pkOnly(o),
          headers: headers('delete'),
        }
      if (m.newMatch)
        // Moved in: the client has never seen this row, so it gets all of it.
        return { key: rowKey(info, n), value: project(n, columns), headers: headers('insert') }
      return null
    }
    case 'truncate':
      return null
  }
}

/** Marks the last message of each transaction (pglite-sync uses it to know an LSN is complete). */
export function markLast(msgs: ChangeMessage[]): void {
  for (let i = 0; i < msgs.length; i++) {
    const next = msgs[i + 1]
    if (!next || next.headers.lsn !== msgs[i]!.headers.lsn) msgs[i]!.headers.last = true
  }
}
