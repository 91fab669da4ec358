/**
 * The shape log served over the Electric protocol. A shape's log is never stored: it is the
 * snapshot of the root table at some LSN L (taken in one REPEATABLE READ transaction, so it is
 * exactly the commits up to L) followed by the change-log entries after L that concern it.
 * Offsets are global commit-order LSNs, so they, `lsn` and `global_last_seen_lsn` are monotonic
 * across all shapes and across restarts.
 *
 *   offset=-1 ──► snapshot @L, offset L_inf ──► catch-up from L ──► up-to-date ──► live (long-poll)
 *        ▲                                                                           │
 *        └──────────── 409 must-refetch (unknown/invalidated handle, truncate, compaction) ◄─┘
 */
import { createHash } from 'node:crypto'
import type { Db } from '@kefu/migrations'
import { filterToSql, matchesRow, type Filter } from '@kefu/sync-rules'
import type { Logger } from '../logger.ts'
import { readLog, type LogEntry, type LogTail, type RowImage } from './log-tail.ts'
import { entryMessage, markLast, snapshotMessage, type ChangeMessage, type Membership, type ShapeView } from './shape-log.ts'
import { electricSchema, loadTableInfo, type TableInfo } from './table-info.ts'
import { formatOffset, type Offset } from './offsets.ts'

/** A resolved shape definition: what the caller is allowed to see, nothing more. */
export interface ShapeDef {
  table: string
  /** Structured filter (agent shapes from sync-rules): evaluated in memory on live changes. */
  filter: Filter | null
  /** SQL where with bound params (operator shapes): evaluated by the database. */
  where: string | null
  params: Record<string, string>
  columns: string[]
  replica: 'default' | 'full'
  log: 'full' | 'changes_only'
  /**
   * The agent this shape belongs to and the tables it applies together with (not part of the
   * definition's identity). A commit that touches the agent's rows in any table of the group
   * wakes all the group's held shapes, so that pglite-sync, which commits only up to the
   * lowest LSN every shape of a subscription has confirmed, sees them all move on at once
   * instead of waiting for its own refresh timer.
   */
  scope?: { agentId: string; group: readonly string[] }
}

/** Tables every agent receives whole (their rows carry no agent id). */
const GLOBAL_TABLES = new Set(['faq', 'rules'])

export type ShapeResult =
  | {
      kind: 'ok'
      handle: string
      offset: string
      messages: unknown[]
      schema: string | null
      upToDate: boolean
    }
  | { kind: 'must-refetch'; handle: string }

export class ShapeDefError extends Error {
  readonly field: string
  constructor(field: string, message: string) {
    super(message)
    this.name = 'ShapeDefError'
    this.field = field
  }
}

export interface ShapeServiceOptions {
  db: Db
  tail: LogTail
  logger: Logger
  longPollMs?: number
  /** Most transactions scanned per response; default 2000. */
  maxTxPerResponse?: number
  /** Tables that may be served. */
  tables: readonly string[]
  now?: () => number
}

export interface ShapeService {
  tableInfo(table: string): Promise<TableInfo>
  /** Validates a definition against the catalog (columns exist, PK included, where compiles). */
  checkDef(def: ShapeDef): Promise<void>
  serve(def: ShapeDef, req: { offset: Offset; handle: string | null; live: boolean }, signal?: AbortSignal): Promise<ShapeResult>
  deleteShape(def: ShapeDef | null, handle: string | null): Promise<'deleted' | 'not-found' | 'mismatch'>
  defKey(def: ShapeDef): string
  /** Whether `lsn` is at or below the newest commit (reading the log once if needed). */
  isAtOrBelowHead(lsn: bigint): Promise<boolean>
}

export function createShapeService(opts: ShapeServiceOptions): ShapeService {
  const { db, tail } = opts
  const log = opts.logger.child({ component: 'shapes' })
  const longPollMs = opts.longPollMs ?? 20_000
  const maxTx = opts.maxTxPerResponse ?? 2000
  const infos = new Map<string, Promise<TableInfo>>()
  const handles = new Map<string, { defKey: string; at: number }>()
  let seq = 0

  const tableInfo = (table: string): Promise<TableInfo> => {
    if (!opts.tables.includes(table)) return Promise.reject(new ShapeDefError('table', `table not found: ${table}`))
    let p = infos.get(table)
    if (!p) {
      p = loadTableInfo(db, table).then((i) => {
        if (!i) {
          infos.delete(table)
          throw new ShapeDefError('table', `table not found: ${table}`)
        }
        return i
      })
      infos.set(table, p)
    }
    return p
  }

  const defKey = (def: ShapeDef): string =>
    createHash('sha256')
      .update(JSON.stringify([def.table, def.filter, def.where, Object.entries(def.params).sort(), def.columns, def.replica, def.log]))
      // `scope` is deliberately left out: it changes who wakes the shape, not what it holds.
      .digest('hex')
      .slice(0, 20)

  const whereSql = (def: ShapeDef): { sql: string; params: string[] } => {
    if (def.filter) return filterToSql(def.filter)
    if (def.where) {
      const n = Object.keys(def.params).length
      const params: string[] = []
      for (let i = 1; i <= n; i++) params.push(def.params[String(i)] ?? '')
      return { sql: def.where, params }
    }
    return { sql: 'true', params: [] }
  }

  const newHandle = (key: string): string => `${key.slice(0, 12)}-${Date.now() * 1000 + (seq++ % 1000)}`

  async function currentHandle(def: ShapeDef): Promise<string> {
    const key = defKey(def)
    const rows = await db.query<{ handle: string }>(
      `SELECT handle FROM sync_shapes WHERE def_key = $1 AND invalidated_at IS NULL ORDER BY created_at DESC LIMIT 1`,
      [key],
    )
    if (rows[0]) return rows[0].handle
    const handle = newHandle(key)
    await db.query(
      `INSERT INTO sync_shapes (handle, def_key, def, created_lsn) VALUES ($1, $2, $3::text::jsonb, $4::bigint)`,
      [handle, key, JSON.stringify(def), String(tail.head)],
    )
    return handle
  }

  async function handleValid(handle: string, key: string): Promise<boolean> {
    const c = handles.get(handle)
    const now = Date.now()
    if (c && now - c.at < 2000) return c.defKey === key
    const rows = await db.query<{ def_key: string }>(
      `SELECT def_key FROM sync_shapes WHERE handle = $1 AND invalidated_at IS NULL`,
      [handle],
    )
    if (!rows[0]) {
      handles.delete(handle)
      return false
    }
    handles.set(handle, { defKey: rows[0].def_key, at: now })
    return rows[0].def_key === key
  }

  async function invalidate(handle: string): Promise<void> {
    handles.delete(handle)
    await db.query(`UPDATE sync_shapes SET invalidated_at = now() WHERE handle = $1 AND invalidated_at IS NULL`, [handle])
  }

  async function snapshot(def: ShapeDef, view: ShapeView): Promise<{ lsn: bigint; rows: RowImage[] }> {
    const w = whereSql(def)
    return db.transaction(
      async (tx) => {
        const h = await tx.query<{ h: string }>(`SELECT coalesce(max(lsn), 0)::text AS h FROM sync_tx`)
        if (def.log === 'changes_only') return { lsn: BigInt(h[0]!.h), rows: [] }
        const rows = await tx.query<{ r: RowImage }>(
          `SELECT hstore_to_jsonb(hstore(${quoteIdent(view.info.name)})) AS r
             FROM public.${quoteIdent(view.info.name)} WHERE (${w.sql})`,
          w.params,
        )
        return { lsn: BigInt(h[0]!.h), rows: rows.map((r) => r.r) }
      },
      { isolation: 'repeatable read', readOnly: true },
    )
  }

  /** Membership of each entry's images: in memory for filters, one batched query for SQL where. */
  async function memberships(def: ShapeDef, entries: LogEntry[]): Promise<Membership[]> {
    if (!def.where) {
      const f = def.filter
      return entries.map((e) => ({
        newMatch: e.newRow ? (f ? matchesRow(f, e.newRow) : true) : null,
        oldMatch: e.oldRow ? (f ? matchesRow(f, e.oldRow) : true) : null,
      }))
    }
    if (entries.length === 0) return []
    const images: (RowImage | null)[] = []
    for (const e of entries) images.push(e.newRow, e.oldRow)
    const w = whereSql(def)
    const n = w.params.length
    const t = quoteIdent(def.table)
    const rows = await db.transaction(
      (tx) =>
        tx.query<{ i: string; m: boolean | null }>(
          `SELECT x.i::text AS i,
                  CASE WHEN x.r = 'null'::jsonb THEN NULL
                       ELSE (SELECT coalesce((${w.sql}), false) FROM jsonb_populate_record(NULL::public.${t}, x.r) AS ${t}) END AS m
             FROM jsonb_array_elements($${n + 1}::text::jsonb) WITH ORDINALITY AS x(r, i)`,
          [...w.params, JSON.stringify(images)],
        ),
      { readOnly: true },
    )
    const m = new Array<boolean | null>(images.length).fill(null)
    for (const r of rows) m[Number(r.i) - 1] = r.m
    return entries.map((_, k) => ({ newMatch: m[2 * k] ?? null, oldMatch: m[2 * k + 1] ?? null }))
  }

  /** The shape's messages after `from`, up to the current head or `maxTx` transactions. */
  async function changesAfter(
    def: ShapeDef,
    view: ShapeView,
    from: { lsn: bigint; op: bigint | 'inf' },
  ): Promise<{ messages: ChangeMessage[]; coveredTo: bigint; complete: boolean; truncated: boolean }> {
    if (tail.head < from.lsn) await tail.catchUp(from.lsn)
    const upTo = tail.head
    let entries = tail.entriesAfter(from.lsn === 0n ? 0n : from.op === 'inf' ? from.lsn : from.lsn - 1n, upTo)
    let coveredTo = upTo
    if (entries === null) {
      const r = await readLog(db, { after: from.op === 'inf' ? from.lsn : from.lsn - 1n, upTo, table: def.table, maxTx })
      entries = r.entries
      coveredTo = r.coveredTo
    }
    entries = entries.filter(
      (e) => e.tbl === def.table && (from.op === 'inf' || e.lsn > from.lsn || e.id > from.op),
    )
    if (entries.some((e) => e.op === 'truncate'))
      return { messages: [], coveredTo, complete: false, truncated: true }
    const ms = await memberships(def, entries)
    const messages: ChangeMessage[] = []
    for (let i = 0; i < entries.length; i++) {
      const msg = entryMessage(view, entries[i]!, ms[i]!)
      if (msg) messages.push(msg)
    }
    markLast(messages)
    return { messages, coveredTo, complete: coveredTo >= upTo, truncated: false }
  }

  /** A cheap pre-filter of log entries for a shape: its table, and its filter when structured. */
  const relevantTo = (def: ShapeDef) => (e: LogEntry) =>
    (e.tbl === def.table &&
      (e.op === 'truncate' || !def.filter || (e.newRow !== null && matchesRow(def.filter, e.newRow)) || (e.oldRow !== null && matchesRow(def.filter, e.oldRow)))) ||
    (def.scope !== undefined &&
      def.scope.group.includes(e.tbl) &&
      (GLOBAL_TABLES.has(e.tbl) || e.newRow?.['agent_id'] === def.scope.agentId || e.oldRow?.['agent_id'] === def.scope.agentId))

  const upToDate = (lsn: bigint) => ({ headers: { control: 'up-to-date', global_last_seen_lsn: lsn.toString() } })

  // The floor only moves when the log is compacted; re-read it every few seconds, not per request.
  let floor: { value: bigint; at: number } | null = null
  async function logFloor(): Promise<bigint> {
    if (floor && Date.now() - floor.at < 5000) return floor.value
    const r = await db.query<{ f: string }>(`SELECT log_floor_lsn::text AS f FROM sync_meta`)
    floor = { value: BigInt(r[0]?.f ?? '0'), at: Date.now() }
    return floor.value
  }

  return {
    tableInfo,
    defKey,
    async isAtOrBelowHead(lsn) {
      if (lsn <= tail.head) return true
      await tail.refresh()
      return lsn <= tail.head
    },
    async checkDef(def) {
      const info = await tableInfo(def.table)
      for (const c of def.columns)
        if (!info.byName.has(c)) throw new ShapeDefError('columns', `unknown column: ${c}`)
      for (const k of info.pk)
        if (!def.columns.includes(k)) throw new ShapeDefError('columns', `must include the primary key column ${k}`)
      if (def.where) {
        const w = whereSql(def)
        try {
          await db.transaction(
            (tx) => tx.query(`SELECT 1 FROM public.${quoteIdent(def.table)} WHERE (${w.sql}) LIMIT 0`, w.params),
            { readOnly: true },
          )
        } catch (err) {
          throw new ShapeDefError('where', `is invalid: ${(err as Error).message}`)
        }
      }
    },
    async serve(def, req, signal) {
      const info = await tableInfo(def.table)
      const view: ShapeView = { info, columns: def.columns, replica: def.replica }
      // Only non-live responses carry the schema; a live one (most of them) never builds it.
      const schema = () => electricSchema(info, def.columns)
      const key = defKey(def)
      if (req.offset.kind !== 'at') {
        const handle = await currentHandle(def)
        if (req.offset.kind === 'now') {
          await tail.refresh()
          const h = tail.head
          return { kind: 'ok', handle, offset: formatOffset(h), messages: [upToDate(h)], schema: schema(), upToDate: true }
        }
        const snap = await snapshot(def, view)
        log.debug({ table: def.table, rows: snap.rows.length, lsn: snap.lsn.toString() }, 'snapshot')
        return {
          kind: 'ok',
          handle,
          offset: formatOffset(snap.lsn),
          messages: snap.rows.map((r) => snapshotMessage(view, r)),
          schema: schema(),
          // Electric never marks the offset=-1 response up-to-date.
          upToDate: false,
        }
      }
      const handle = req.handle!
      const refetch = async (): Promise<ShapeResult> => ({ kind: 'must-refetch', handle: await currentHandle(def) })
      if (!(await handleValid(handle, key))) return refetch()
      if (req.offset.lsn < (await logFloor())) {
        await invalidate(handle)
        return refetch()
      }
      // A catch-up request must see every commit that happened before it.
      if (!req.live) await tail.refresh()
      let from = { lsn: req.offset.lsn, op: req.offset.op }
      const deadline = Date.now() + longPollMs
      let woken = false
      for (;;) {
        const r = await changesAfter(def, view, from)
        if (r.truncated) {
          await invalidate(handle)
          return refetch()
        }
        const offset = r.messages.length > 0 || r.coveredTo > from.lsn ? formatOffset(r.coveredTo) : formatOffset(from.lsn, from.op)
        // A commit that concerns this shape's group but holds nothing for this shape (seen
        // while held, or just before this request came in): confirm the new LSN right away,
        // an up-to-date like a long-poll timeout's, only sooner.
        const groupMoved =
          def.scope !== undefined &&
          r.coveredTo > from.lsn &&
          (woken || (tail.entriesAfter(from.lsn, r.coveredTo)?.some(relevantTo(def)) ?? true))
        if (r.messages.length > 0 || !req.live || !r.complete || groupMoved) {
          const messages: unknown[] = r.messages
          if (r.complete) messages.push(upToDate(r.coveredTo))
          return { kind: 'ok', handle, offset, messages, schema: req.live ? null : schema(), upToDate: r.complete }
        }
        if (r.coveredTo > from.lsn) from = { lsn: r.coveredTo, op: 'inf' }
        const left = deadline - Date.now()
        if (left <= 0 || signal?.aborted)
          // Only what was scanned may be claimed as seen: newer transactions may hold changes for us.
          return {
            kind: 'ok',
            handle,
            offset: formatOffset(from.lsn, from.op),
            messages: [upToDate(from.lsn)],
            schema: null,
            upToDate: true,
          }
        await tail.waitForHeadAbove(from.lsn, left, signal, relevantTo(def))
        woken = tail.head > from.lsn
        // A handle may be invalidated (DELETE, truncate) while the request is held.
        if (!(await handleValid(handle, key))) return refetch()
      }
    },
    async deleteShape(def, handle) {
      if (handle) {
        const rows = await db.query<{ def_key: string }>(
          `SELECT def_key FROM sync_shapes WHERE handle = $1 AND invalidated_at IS NULL`,
          [handle],
        )
        if (!rows[0]) return 'not-found'
        if (def && rows[0].def_key !== defKey(def)) return 'mismatch'
        await invalidate(handle)
        return 'deleted'
      }
      if (!def) return 'not-found'
      const rows = await db.query<{ handle: string }>(
        `UPDATE sync_shapes SET invalidated_at = now() WHERE def_key = $1 AND invalidated_at IS NULL RETURNING handle`,
        [defKey(def)],
      )
      for (const r of rows) handles.delete(r.handle)
      return rows.length > 0 ? 'deleted' : 'not-found'
    },
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
