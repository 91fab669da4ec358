/**
 * How the replica runs pglite-sync's commits. pglite-sync hands `pg.transaction` a function
 * that writes a commit's rows and its subscription cursor through `tx.query` / `tx.exec`, and
 * ignores what they return. The replica records those statements first ({@link recordCommit}),
 * skips a commit that would change nothing ({@link changesNothing}), and runs the rest in one
 * protocol exchange ({@link CommitRunner}).
 */
import { protocol, type PGlite } from '@electric-sql/pglite'

/** The function pglite-sync passes to `pg.transaction`, as far as it uses its `tx`. */
export type SyncCommitFn = (tx: {
  query: (sql: string, params?: unknown[]) => Promise<unknown>
  exec: (sql: string) => Promise<unknown>
  rollback: () => Promise<void>
  readonly closed: boolean
}) => Promise<unknown>

export type CommitStep =
  | { kind: 'exec'; sql: string }
  | { kind: 'query'; sql: string; params: readonly unknown[] | undefined }

export interface RecordedCommit {
  steps: CommitStep[]
  /** The subscription cursor the commit writes, if it does. */
  cursor: { key: string; lsn: string } | null
  rolledBack: boolean
  result: unknown
}

const SYNCING_FLAG = /^\s*SET LOCAL "?electric"?\.syncing = true;?\s*$/i
const CURSOR_UPSERT = /^\s*INSERT INTO "electric"\."subscriptions_metadata"/

function subscriptionCursor(step: CommitStep): { key: string; lsn: string } | null {
  if (step.kind !== 'query' || !CURSOR_UPSERT.test(step.sql) || !step.params) return null
  return { key: String(step.params[0]), lsn: String(step.params[2]) }
}

/**
 * pglite-sync commits once per shape response it reads (the LSN it compares against is the one
 * it started from, never updated), so when a commit concerns a group of two shapes, the first
 * of the two responses commits at the LSN already committed: no row, the same `last_lsn`, only
 * the read-ahead offset of the shape that answered — which the replica's `resumeFromCommitted`
 * rewinds at the next start anyway. Such a commit (half the replica's transactions under
 * per-chat traffic) changes nothing that matters; so does one pglite-sync rolled back
 * (unsubscribed while committing).
 */
export function changesNothing(
  rec: RecordedCommit,
  committedLsn: ReadonlyMap<string, string>,
): boolean {
  if (rec.rolledBack) return true
  const moves = rec.steps.some(
    (st) => !(st.kind === 'exec' && SYNCING_FLAG.test(st.sql)) && subscriptionCursor(st) === null,
  )
  return !moves && rec.cursor !== null && committedLsn.get(rec.cursor.key) === rec.cursor.lsn
}

/**
 * Runs pglite-sync's commit function against a recorder: its statements are kept, in order,
 * and answered with empty results (pglite-sync reads none of them).
 */
export async function recordCommit(fn: SyncCommitFn): Promise<RecordedCommit> {
  const steps: CommitStep[] = []
  let closed = false
  let rolledBack = false
  const open = () => {
    if (closed) throw new Error('Transaction is closed')
  }
  const result = await fn({
    query: async (sql, params) => {
      open()
      steps.push({ kind: 'query', sql, params })
      return { rows: [], fields: [], affectedRows: 0 }
    },
    exec: async (sql) => {
      open()
      steps.push({ kind: 'exec', sql })
      return []
    },
    rollback: async () => {
      open()
      rolledBack = true
      closed = true
    },
    get closed() {
      return closed
    },
  })
  closed = true
  return {
    steps,
    cursor: steps.map(subscriptionCursor).find((c) => c !== null) ?? null,
    rolledBack,
    result,
  }
}

const wire = protocol.serialize
/** Statement names are unique in the process: two runners on one database never collide. */
let statementsNamed = 0

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export interface CommitRunnerOptions {
  /** Named statements kept prepared, least recently used dropped first (default 128). */
  maxPrepared?: number
  /**
   * Statements with more parameters than this are not kept prepared (default 256): a commit of
   * a large snapshot inserts thousands of rows in one statement, whose plan would sit in the
   * replica's memory for nothing — its exact row count seldom recurs.
   */
  maxPreparedParams?: number
}

/**
 * Runs a recorded commit in one protocol exchange with the replica's Postgres.
 *
 * Each exchange through PGlite's `query` / `exec` / `transaction` API costs far more in its JS
 * (mutexes, result parsing, syncing the file system, microtask hops) than Postgres takes to run
 * our statements, and `tx.query` is six exchanges (parse, describe, bind, describe, execute,
 * sync) that parse and plan the statement afresh each time. pglite-sync's commit of one FAQ row
 * (BEGIN, a flag, the insert, the cursor upsert, COMMIT) was 18 exchanges and took 0.83 ms.
 * Here the whole transaction — BEGIN, each statement bound and executed from a prepared
 * statement (pglite-sync's statements recur: the same insert for the same table and row count,
 * the same cursor upsert), COMMIT — goes in one message buffer ending in a single Sync, and
 * Postgres answers it in one exchange: 0.37 ms. (What is left is mostly Postgres' own work:
 * with 25 replicas in one process, a FAQ commit of five rows is ~0.1 ms of BEGIN/COMMIT, ~0.4
 * for the insert, ~0.15 for the cursor upsert.)
 *
 * Parameters are serialised exactly as PGlite's `query` does (the serializer of the type
 * Postgres infers for each parameter, learnt once per statement from its description). An
 * error in any statement makes Postgres skip the rest up to the Sync (the COMMIT included); the
 * transaction is then rolled back and the error thrown. The exchange holds PGlite's transaction
 * lock, so no other query or transaction can interleave with it.
 */
export class CommitRunner {
  readonly #pg: PGlite
  readonly #maxPrepared: number
  readonly #maxPreparedParams: number
  /** Prepared statements by SQL text, least recently used first. */
  readonly #prepared = new Map<string, { name: string; types: number[] }>()
  /** Statements dropped from the cache, closed in Postgres by the next exchange that succeeds. */
  #toClose: string[] = []

  constructor(pg: PGlite, o: CommitRunnerOptions = {}) {
    this.#pg = pg
    this.#maxPrepared = o.maxPrepared ?? 128
    this.#maxPreparedParams = o.maxPreparedParams ?? 256
  }

  /** Statements currently kept prepared. */
  get prepared(): number {
    return this.#prepared.size
  }

  /** Runs `steps` as one transaction. */
  commit(steps: readonly CommitStep[]): Promise<void> {
    return this.#pg._runExclusiveTransaction(async () => {
      // A commit queued behind a close must not reach a closed database's engine.
      if (this.#pg.closed) throw new Error('PGlite is closed')
      // Closes left over from an exchange that failed (closing a missing statement is no error).
      const parts: Uint8Array[] = [
        ...this.#toClose.map((name) => wire.close({ type: 'S', name })),
        wire.query('BEGIN'),
      ]
      const leftOver = this.#toClose.length
      for (const step of steps) {
        if (step.kind === 'exec') {
          parts.push(wire.query(step.sql))
          continue
        }
        const params = step.params ?? []
        if (params.length > this.#maxPreparedParams) {
          const types = await this.#describe('', step.sql)
          parts.push(
            wire.parse({ text: step.sql, types }),
            wire.bind({ values: this.#values(params, types) }),
            wire.execute({}),
          )
        } else {
          const s = await this.#statement(step.sql)
          parts.push(
            wire.bind({ statement: s.name, values: this.#values(params, s.types) }),
            wire.execute({}),
          )
        }
      }
      parts.push(wire.query('COMMIT'))
      // Dropped from the cache while building this exchange: closed after their last use in it.
      parts.push(...this.#toClose.slice(leftOver).map((name) => wire.close({ type: 'S', name })))
      parts.push(wire.sync())
      try {
        await this.#exchange(concat(parts), true)
      } catch (err) {
        if (this.#pg.isInTransaction()) await this.#exchange(wire.query('ROLLBACK'))
        throw err
      }
      this.#toClose = []
    })
  }

  #values(params: readonly unknown[], types: readonly number[]): (string | null)[] {
    const serializers = this.#pg.serializers
    return params.map((p, i) => {
      if (p === null || p === undefined) return null
      const serialize = serializers[types[i]!]
      return serialize ? (serialize(p) as string) : String(p)
    })
  }

  async #statement(sql: string): Promise<{ name: string; types: number[] }> {
    const hit = this.#prepared.get(sql)
    if (hit) {
      this.#prepared.delete(sql)
      this.#prepared.set(sql, hit)
      return hit
    }
    const name = `kefu_sync_${++statementsNamed}`
    const s = { name, types: await this.#describe(name, sql) }
    this.#prepared.set(sql, s)
    if (this.#prepared.size > this.#maxPrepared) {
      const [oldest, evicted] = this.#prepared.entries().next().value as [string, { name: string }]
      this.#prepared.delete(oldest)
      this.#toClose.push(evicted.name)
    }
    return s
  }

  /** Parses `sql` as the statement `name` ('' = unnamed) and returns its parameters' types. */
  async #describe(name: string, sql: string): Promise<number[]> {
    const res = await this.#exchange(
      concat([wire.parse({ name, text: sql }), wire.describe({ type: 'S', name }), wire.sync()]),
    )
    const desc = res.find((m) => m.name === 'parameterDescription') as
      { dataTypeIDs?: number[] } | undefined
    return desc?.dataTypeIDs ?? []
  }

  /** One exchange; `syncToFs` after a commit, as PGlite's own COMMIT does. */
  async #exchange(buf: Uint8Array, syncToFs = false) {
    const pg = this.#pg
    return pg.runExclusive(async () => (await pg.execProtocol(buf, { syncToFs })).messages)
  }
}
