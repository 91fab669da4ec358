/**
 * One database handle over the two engines kefu runs on: an external Postgres (postgres.js) or
 * an embedded PGlite. Everything above this file speaks only `Db` / `Queryable`.
 */
import postgres from 'postgres'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { hstore } from '@electric-sql/pglite/contrib/hstore'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { mkdirSync } from 'node:fs'

export type Row = Record<string, unknown>

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement with bound parameters ($1..$n) and returns its rows. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>
}

export type Isolation = 'read committed' | 'repeatable read' | 'serializable'

export interface Db extends Queryable {
  readonly engine: 'postgres' | 'pglite'
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(
    fn: (tx: Queryable) => Promise<T>,
    opts?: { isolation?: Isolation; readOnly?: boolean },
  ): Promise<T>
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
}

/** Session settings that make every value's text form the one the Electric protocol expects. */
export const SESSION_SETTINGS = {
  TimeZone: 'UTC',
  DateStyle: 'ISO, DMY',
  IntervalStyle: 'iso_8601',
  extra_float_digits: '1',
  bytea_output: 'hex',
} as const

const sessionSql = Object.entries(SESSION_SETTINGS)
  .map(([k, v]) => `SET ${k} = '${v}';`)
  .join('\n')

export interface PostgresOptions {
  url: string
  /** Pool size; default 10. */
  max?: number
  /** Where server notices go; default: dropped. */
  onnotice?: (notice: unknown) => void
}

/** Opens a pooled Postgres connection (postgres.js). */
export function openPostgres(opts: PostgresOptions): Db {
  const sql = postgres(opts.url, {
    max: opts.max ?? 10,
    onnotice: opts.onnotice ?? (() => {}),
    // Statements are prepared (see `query`) to save a parse and a round trip, and after a few
    // executions Postgres plans them once (generic plans, plan_cache_mode=auto): planning was a
    // third of the reply pipeline's database time. Statements whose plan could go wrong with
    // the row counts are written so that every plan is the right one (the change log read: see
    // log-tail.ts).
    //
    // No JIT: Postgres compiles a query's expressions to machine code once its estimated cost
    // passes jit_above_cost, and an estimate can pass it while the query reads a handful of
    // rows — the change-log read (up to 2,000 transactions of ~100 changes each, by the
    // estimate) paid ~15 ms of compilation on every read for its few rows. Every statement of
    // ours is short; compiling one never pays for itself.
    connection: {
      ...SESSION_SETTINGS,
      jit: 'off',
      application_name: 'kefu',
    },
    // Keep text for int8/numeric: values leave the database as Postgres text anyway.
    types: {},
    prepare: true,
  })
  const wrap = (q: postgres.Sql | postgres.TransactionSql): Queryable => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      // Named prepared statements, cached per connection: an unnamed one costs postgres.js a
      // Parse/Describe round trip before every Bind/Execute, and the server a parse each time.
      // Statement texts are fixed or come from a small set of shapes (values are always bound),
      // and connections are recycled (max_lifetime), so the cache stays bounded.
      const rows = await q.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
        prepare: params.length > 0,
      })
      return rows as unknown as T[]
    },
    async exec(text: string) {
      await q.unsafe(text).simple()
    },
  })
  const self = wrap(sql)
  return {
    engine: 'postgres',
    ...self,
    async transaction(fn, o = {}) {
      const mode = [
        o.isolation ? `isolation level ${o.isolation}` : '',
        o.readOnly ? 'read only' : '',
      ]
        .filter(Boolean)
        .join(' ')
      return (await sql.begin(mode, (tx) => fn(wrap(tx)))) as never
    },
    async listen(channel, onNotify) {
      const sub = await sql.listen(channel, (p) => onNotify(p))
      return async () => {
        await sub.unlisten()
      }
    },
    async close() {
      await sql.end({ timeout: 5 })
    },
  }
}

export interface PgliteOptions {
  /** Data folder; omitted → in memory. */
  dataDir?: string
  /** Load a data directory from a tarball (used by the agent's encrypted checkpoint). */
  loadDataDir?: Blob | File
  /** Whether to load pgvector; default true (the agent replica does not need it). */
  vector?: boolean
}

/** Opens an embedded PGlite database with pgvector, hstore and pg_trgm loaded. */
export async function openPglite(opts: PgliteOptions = {}): Promise<Db & { pglite: PGlite }> {
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true })
  const extensions = opts.vector === false ? { hstore, pg_trgm } : { vector, hstore, pg_trgm }
  const pg = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    extensions,
  })
  await pg.exec(sessionSql)
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const res = await q.query<T>(text, params as unknown[])
      return res.rows
    },
    async exec(text: string) {
      await q.exec(text)
    },
  })
  const self = wrap(pg)
  return {
    engine: 'pglite',
    pglite: pg,
    ...self,
    async transaction(fn, o = {}) {
      // PGlite has one connection: transactions are serialised by PGlite itself.
      return pg.transaction(async (tx) => {
        if (o.isolation)
          await tx.exec(`SET TRANSACTION ISOLATION LEVEL ${o.isolation.toUpperCase()}`)
        if (o.readOnly) await tx.exec('SET TRANSACTION READ ONLY')
        return fn(wrap(tx))
      })
    },
    async listen(channel, onNotify) {
      const unsub = await pg.listen(channel, onNotify)
      return async () => {
        await unsub()
      }
    },
    async close() {
      if (!pg.closed) await pg.close()
    },
  }
}

/** Opens Postgres when `databaseUrl` is given, otherwise PGlite in `dataDir`. */
export async function openDb(opts: {
  databaseUrl?: string | undefined
  dataDir?: string | undefined
}): Promise<Db> {
  if (opts.databaseUrl) return openPostgres({ url: opts.databaseUrl })
  return openPglite(opts.dataDir ? { dataDir: opts.dataDir } : {})
}
