/**
 * The agent's replica: an in-memory PGlite holding its shapes through the official
 * `@electric-sql/pglite-sync` (the subscription cursor lives in the same database and
 * transaction as the rows), restored at start from the encrypted checkpoint in the journal.
 * Nothing of it is ever written to disk in the clear.
 */
import { PGlite, types } from '@electric-sql/pglite'
import { electricSync, type PGliteWithSync } from '@electric-sql/pglite-sync'
import { migrate, SESSION_SETTINGS, type Db, type Queryable } from '@kefu/migrations'
import type { SyncedTable } from '@kefu/schema'
import { AGENT_SHAPE_GROUPS } from '@kefu/sync-rules'
import type { Logger } from 'pino'
import { abortable } from './backoff.ts'
import { ImageMemoryFs, PGDATA, readImage, writeImage, type ImageEntry, type ImageFs } from './replica-image.ts'
import { requestFetch } from './request-fetch.ts'
import { changesNothing, CommitRunner, recordCommit, type SyncCommitFn } from './sync-commits.ts'

export interface Replica {
  db: Db
  pg: PGliteWithSync
  /** Subscribes to every agent shape; resolves once the subscription is set up (not synced). */
  startSync(opts: ReplicaSyncOptions): Promise<void>
  readonly upToDate: boolean
  /** When the replica last caught up with the cloud. */
  readonly lastSyncAt: Date | null
  /** pglite-sync's commits run, and those skipped for changing nothing (see changesNothing). */
  readonly syncCommits: { readonly commits: number; readonly skipped: number }
  /** A consistent compressed image of the whole database, in chunks, to seal into the journal. */
  snapshot(): Promise<Uint8Array[]>
  stopSync(): void
  close(): Promise<void>
}

export interface ReplicaSyncOptions {
  url: string
  headers: () => Promise<Record<string, string>>
  /** Called on 401; resolve true when new credentials were obtained (then retried at once). */
  onUnauthorized?: () => Promise<boolean>
  fetch?: typeof fetch
  onError?: (err: Error) => void
  onUpToDate?: () => void
  tables?: readonly SyncedTable[]
}

function wrap(pg: PGlite, transaction: PGlite['transaction'] = pg.transaction.bind(pg)): Db {
  const q = (x: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []) {
      return (await x.query<T>(sql, params as unknown[])).rows
    },
    async exec(sql: string) {
      await x.exec(sql)
    },
  })
  return {
    engine: 'pglite',
    ...q(pg),
    // Our own writes use the unpatched transaction: their failures always surface.
    transaction: (fn) => transaction((tx) => fn(q(tx))),
    listen: async (channel, cb) => {
      const u = await pg.listen(channel, cb)
      return async () => u()
    },
    close: () => pg.close(),
  }
}

type StoredSubscription = {
  key: string
  shape_metadata: Record<string, { handle?: string; offset?: string }>
  last_lsn: string
}

/** pglite-sync's stored subscriptions; none before its first start (no table yet). */
async function storedSubscriptions(db: Queryable): Promise<StoredSubscription[]> {
  const t = await db.query<{ t: string | null }>(`SELECT to_regclass('electric.subscriptions_metadata')::text AS t`)
  if (!t[0]?.t) return []
  return db.query<StoredSubscription>(`SELECT key, shape_metadata, last_lsn FROM electric.subscriptions_metadata`)
}

/**
 * pglite-sync stores each shape stream's read-ahead offset with the subscription, and that can
 * be past what it committed: messages of one shape wait for the other shapes of the group
 * before they are applied, and a commit runs while the next response is already being read. A
 * crash (or a checkpoint taken) in that window would resume after changes that were never
 * applied. Our offsets are commit LSNs, so the committed LSN is itself a valid offset: resume
 * every shape from `<last_lsn>_inf` whenever its stored offset is ahead of it.
 */
export async function resumeFromCommitted(
  db: Queryable,
  subs?: readonly StoredSubscription[],
): Promise<number> {
  let rewound = 0
  for (const s of subs ?? (await storedSubscriptions(db))) {
    if (!/^\d+$/.test(s.last_lsn)) continue
    const committed = BigInt(s.last_lsn)
    const meta = { ...s.shape_metadata }
    for (const [shape, m] of Object.entries(meta)) {
      const lsn = /^(\d+)_/.exec(m.offset ?? '')?.[1]
      if (lsn !== undefined && BigInt(lsn) > committed) {
        meta[shape] = { ...m, offset: `${committed}_inf` }
        rewound++
      }
    }
    if (rewound > 0)
      await db.query(`UPDATE electric.subscriptions_metadata SET shape_metadata = $2::text::jsonb WHERE key = $1`, [s.key, JSON.stringify(meta)])
  }
  return rewound
}

/**
 * Subscriptions are keyed by shape group (`kefu-agent:<group>`). When the groups change (an
 * upgrade regroups tables), a stored subscription for a group that no longer exists, or holding
 * a table its group no longer has, cannot be resumed: pglite-sync would start the new group's
 * shapes from a snapshot and insert rows the tables already hold. So such a subscription is
 * dropped together with the rows of its tables, in one transaction; the new groups refill them
 * from snapshots. Returns the keys dropped.
 */
export async function dropStaleSubscriptions(db: Db): Promise<string[]> {
  const groups = AGENT_SHAPE_GROUPS as Record<string, readonly string[]>
  const stale = (await storedSubscriptions(db)).filter((s) => {
    const group = s.key.startsWith('kefu-agent:') ? groups[s.key.slice('kefu-agent:'.length)] : undefined
    return !group || Object.keys(s.shape_metadata).some((shape) => !group.includes(shape))
  })
  if (stale.length === 0) return []
  const synced = new Set(Object.values(groups).flat())
  await db.transaction(async (tx) => {
    for (const s of stale) {
      for (const table of Object.keys(s.shape_metadata)) if (synced.has(table)) await tx.exec(`DELETE FROM "${table}"`)
      await tx.query(`DELETE FROM electric.subscriptions_metadata WHERE key = $1`, [s.key])
    }
  })
  return stale.map((s) => s.key)
}

// A fresh replica costs an initdb (~2 s); later fresh replicas in the same process (tests,
// benchmarks, several agents in one process) start from an image of the first one instead.
let blankImage: Promise<Uint8Array[]> | null = null

/**
 * Postgres settings for a replica that lives in memory (bench/agent-footprint measures them):
 * - shared_buffers: Postgres touches all of its buffer pool at start, and every page of
 *   WebAssembly memory it touches stays resident. A page it does not hold is a copy away in
 *   MEMFS, so a small pool costs little: 4 MB instead of 16 took 12 MB off the RSS with
 *   captures and queries as fast; 1 MB made full scans a third slower.
 * - max_connections and the replication and autovacuum slots: PGlite is one backend, but
 *   Postgres sizes its shared memory (locks, process slots) for these; 3 MB less.
 * - full_page_writes off: memory has no torn pages; the WAL, itself in memory, stays small.
 * - wal_recycle off, min/max_wal_size: WAL segments are files in memory; without a cap they
 *   pile up to 1 GB before a checkpoint, and recycled ones are kept (and checkpointed) too.
 *   (32 MB is the least that replicas created with 16 MB segments accept.)
 */
export const REPLICA_PG_SETTINGS = {
  shared_buffers: '4MB',
  full_page_writes: 'off',
  wal_recycle: 'off',
  min_wal_size: '32MB',
  max_wal_size: '64MB',
  max_connections: '2',
  max_wal_senders: '0',
  max_replication_slots: '0',
  autovacuum_max_workers: '1',
} as const

/** A checkpoint image: the gzipped tar of a data directory, whole or in chunks. */
export type ReplicaImage = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>

/**
 * The image of a PGlite's data directory, read in place while no query runs (the caller runs
 * CHECKPOINT first if it wants the WAL folded in; the image is consistent either way).
 */
function dumpImage(pg: PGlite): Promise<Uint8Array[]> {
  return pg.runExclusive(() => {
    const mod = pg.Module as unknown as { FS: ImageFs; ENV?: Record<string, string> }
    return writeImage(mod.FS, mod.ENV?.['PGDATA'] ?? PGDATA)
  })
}

async function createPglite(image: ImageEntry[] | undefined): Promise<PGliteWithSync> {
  return (await PGlite.create({
    ...(image ? { fs: new ImageMemoryFs(image) } : {}),
    // 1 MB WAL segments (instead of 16) for replicas created from now on.
    initDbStartParams: ['--wal-segsize=1'],
    startParams: [...PGlite.defaultStartParams, ...Object.entries(REPLICA_PG_SETTINGS).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    extensions: { sync: electricSync() },
  })) as unknown as PGliteWithSync
}

/**
 * initdb leaves the template databases beside `postgres`: 14 MB of catalogs that a replica
 * never uses (it creates no database) but would hold in memory and in every checkpoint.
 * Drops them once; checkpoints taken before this still carry them until the next one.
 */
async function dropTemplates(pg: PGlite): Promise<void> {
  const { rows } = await pg.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname IN ('template0', 'template1')`)
  for (const { datname } of rows) {
    await pg.exec(`ALTER DATABASE ${datname} IS_TEMPLATE false`)
    await pg.exec(`DROP DATABASE ${datname}`)
  }
}

/**
 * The overlay tables fill with every capture and empty as the cloud confirms; VACUUM leaves
 * their files, and above all their indexes, at the largest they ever were (3 MB of empty index
 * pages after 20,000 captures), in memory and in every checkpoint. Once an overlay is nearly
 * empty again, rewriting it costs next to nothing and gives that memory back.
 */
async function compactOverlays(pg: PGlite): Promise<void> {
  const { rows } = await pg.query<{ t: string }>(
    `SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname LIKE '%\\_local'
        AND c.reltuples < $1 AND pg_total_relation_size(c.oid) > $2`,
    [OVERLAY_COMPACT.maxRows, OVERLAY_COMPACT.minBytes],
  )
  for (const { t } of rows) await pg.exec(`VACUUM FULL ${t}`)
}

/**
 * PGlite copies its whole parser table into every result it parses (`{...parsers}`), and once
 * started the table holds a parser for each of the ~300 array types in the catalog: integer
 * keys, so a dictionary V8 copies key by key, ~80 µs per statement — more than Postgres takes
 * to run most of our statements (a bare `SELECT 1` is ~25 µs in the engine). pglite-sync runs
 * four or five statements per change it applies, so this copy was a tenth of the agent's CPU.
 * A type missing from the table falls back to PGlite's built-in parsers (`types.parsers`:
 * the scalars), so the table keeps only what that fallback lacks: the parsers of the array
 * types a column of ours has (and any parser that differs from the built-in one). An array of
 * another type comes back as its Postgres text, as from a column of unknown type.
 * Run after migrations (a later one adding an array type must run it again).
 */
export async function trimParsers(pg: PGlite): Promise<void> {
  const { rows } = await pg.query<{ oid: number; used: boolean }>(
    `SELECT t.oid::int AS oid,
            EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE a.atttypid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')) AS used
       FROM pg_type t WHERE t.typcategory = 'A'`,
  )
  const builtIn = types.parsers as Record<string, unknown>
  const used = new Set(rows.filter((r) => r.used).map((r) => String(r.oid)))
  const arrays = new Set(rows.map((r) => String(r.oid)))
  const trimmed: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(pg.parsers as Record<string, unknown>))
    if (arrays.has(k) ? used.has(k) : v !== builtIn[k]) trimmed[k] = v
  ;(pg as { parsers: typeof trimmed }).parsers = trimmed
}

/** When an overlay table is rewritten at a checkpoint: few rows left in a large file. */
export const OVERLAY_COMPACT = { maxRows: 1000, minBytes: 256 << 10 } as const

async function freshPglite(): Promise<PGliteWithSync> {
  if (blankImage) return createPglite(await readImage(await blankImage))
  const pg = await createPglite(undefined)
  await dropTemplates(pg as unknown as PGlite)
  const image = dumpImage(pg as unknown as PGlite)
  blankImage = image
  await image.catch(() => {
    blankImage = null // the next fresh replica pays the initdb again
  })
  return pg
}

/**
 * The fetch under the shape streams (requestFetch unless one is given); it puts the
 * credentials on every request. The Electric client retries network errors, 5xx and 429
 * forever, but any other 4xx ends the stream for good (pglite-sync gives it no `onError`) and
 * surfaces as an unhandled rejection: an expired or revoked token would stop the replica, or
 * the process. So a 401 refreshes the credentials and retries at once, and whatever 4xx is
 * left (credentials still refused, agent disabled) is handed to the client as a 503 to back off
 * on and retry. 409 (must-refetch) is the protocol's own and passes through.
 */
function shapeFetch(o: ReplicaSyncOptions, log: Logger): typeof fetch {
  const doFetch = o.fetch ?? requestFetch
  let refused = false
  const withCredentials = async (init: RequestInit | undefined): Promise<RequestInit> => {
    const headers = new Headers(init?.headers)
    const signal = init?.signal
    const credentials = signal ? abortable(o.headers(), signal) : o.headers()
    for (const [k, v] of Object.entries(await credentials)) headers.set(k, v)
    return { ...init, headers }
  }
  return async (input, init) => {
    let res = await doFetch(input, await withCredentials(init))
    if (res.status === 401 && o.onUnauthorized && (await o.onUnauthorized().catch(() => false))) {
      await res.body?.cancel()
      res = await doFetch(input, await withCredentials(init))
    }
    if (res.status < 400 || res.status >= 500 || res.status === 409 || res.status === 429) {
      if (refused && res.ok) log.info('shape requests accepted again')
      refused = refused && !res.ok
      return res
    }
    if (!refused) log.warn({ status: res.status }, 'shape request refused; retrying with backoff')
    refused = true
    const body = await res.text()
    return new Response(body, { status: 503, statusText: `refused (${res.status})`, headers: { 'content-type': 'application/json' } })
  }
}

/**
 * The multi-shape stream under pglite-sync, when one shape of a group has data at an LSN the
 * others have not confirmed yet, refreshes those others from a 100 ms timer: it aborts their
 * long-poll and asks again. Our cloud makes that unneeded — a commit that concerns a group
 * answers every held request of the group at once (shape-service.ts, `scope`), and a request
 * that arrives after such a commit is answered at once too — and the refresh is harmful: the
 * Electric client settles the refresh through an internal promise whose `.finally()` copy is
 * never handled, so a stream that ends or fails while a refresh is pending (a stop, the cloud
 * going away) rejects it with `undefined` unhandled, which ends a Node process. So the refresh
 * does nothing here; a shape that somehow missed the wake still confirms at its long-poll
 * timeout.
 */
function withoutRefresh(stream: { forceDisconnectAndRefresh(): Promise<void> }): void {
  stream.forceDisconnectAndRefresh = async () => {}
}

/** Opens the replica, from a checkpoint image when there is one. */
export async function openReplica(opts: { image?: ReplicaImage | undefined; logger: Logger }): Promise<Replica> {
  const image = opts.image instanceof Uint8Array ? [opts.image] : opts.image
  const pg = image ? await createPglite(await readImage(image)) : await freshPglite()
  if (image) await dropTemplates(pg as unknown as PGlite)
  // pglite-sync commits in a transaction it does not await, and when it is unsubscribed during
  // that commit it rolls back, failing the transaction: an unhandled rejection inside the
  // library. Once we are stopping, a failed transaction is expected (nothing was committed, and
  // the subscription resumes from its last commit next time), so it settles quietly instead.
  // Its commits are recorded, skipped when they change nothing, and otherwise run in one
  // exchange with Postgres (sync-commits.ts). Recording answers its statements with empty
  // results, which pglite-sync ignores: that is why `pg.transaction` is pglite-sync's alone —
  // our own code uses `db.transaction`, which runs directly.
  let stopping = false
  const transaction = pg.transaction.bind(pg)
  const committedLsn = new Map<string, string>()
  const stats = { commits: 0, skipped: 0 }
  const runner = new CommitRunner(pg as unknown as PGlite)
  pg.transaction = (async (fn: Parameters<typeof transaction>[0]) => {
    try {
      const r = await recordCommit(fn as SyncCommitFn)
      if (changesNothing(r, committedLsn)) {
        stats.skipped++
        return r.result
      }
      await runner.commit(r.steps)
      stats.commits++
      if (r.cursor) committedLsn.set(r.cursor.key, r.cursor.lsn)
      return r.result
    } catch (err) {
      if (stopping) return undefined
      throw err
    }
  }) as typeof pg.transaction
  await pg.exec(Object.entries(SESSION_SETTINGS).map(([k, v]) => `SET ${k} = '${v}';`).join('\n'))
  const db = wrap(pg as unknown as PGlite, transaction as unknown as PGlite['transaction'])
  await migrate(db, 'agent')
  await trimParsers(pg as unknown as PGlite)
  let sub: { unsubscribe: () => void; readonly isUpToDate: boolean } | null = null
  let lastSyncAt: Date | null = null
  const log = opts.logger.child({ component: 'replica' })
  return {
    db,
    pg,
    get upToDate() {
      return sub?.isUpToDate ?? false
    },
    get lastSyncAt() {
      return lastSyncAt
    },
    syncCommits: stats,
    async startSync(o) {
      const dropped = await dropStaleSubscriptions(db)
      if (dropped.length) log.info({ dropped }, 'shape groups changed: their tables sync again from snapshots')
      // Rewinding offsets leaves last_lsn as it is: one read serves both.
      const stored = await storedSubscriptions(db)
      await resumeFromCommitted(db, stored)
      committedLsn.clear()
      for (const r of stored) committedLsn.set(r.key, r.last_lsn)
      const only = o.tables ? new Set<string>(o.tables) : null
      // Credentials go on in shapeFetch, per request: asking for them here could wait on a
      // login to an unreachable cloud, and starting offline must not.
      const fetchClient = shapeFetch(o, log)
      const subs: { unsubscribe: () => void; readonly isUpToDate: boolean }[] = []
      // One subscription per group of tables applied together (see sync-rules).
      for (const [group, all] of Object.entries(AGENT_SHAPE_GROUPS)) {
        const tables = all.filter((t) => !only || only.has(t))
        if (tables.length === 0) continue
        const shapes = Object.fromEntries(
          tables.map((table) => [
            table,
            { shape: { url: `${o.url}/v1/shape`, params: { table }, fetchClient }, table, primaryKey: ['id'] },
          ]),
        )
        const s = await pg.sync.syncShapesToTables({
          key: `kefu-agent:${group}`,
          shapes,
          onInitialSync: () => {
            lastSyncAt = new Date()
            o.onUpToDate?.()
          },
          onError: (err) => {
            log.debug({ err: err.message, group }, 'shape stream error')
            o.onError?.(err)
          },
        })
        for (const stream of Object.values(s.streams)) withoutRefresh(stream)
        // pglite-sync reports up-to-date once; keep lastSyncAt moving on every up-to-date.
        const unsubs = Object.values(s.streams).map((stream) =>
          stream.subscribe((msgs) => {
            if (msgs.some((m) => (m as { headers?: { control?: string } }).headers?.control === 'up-to-date')) {
              lastSyncAt = new Date()
              o.onUpToDate?.()
            }
          }),
        )
        subs.push({
          unsubscribe: () => {
            for (const u of unsubs) u()
            s.unsubscribe()
          },
          get isUpToDate() {
            return s.isUpToDate
          },
        })
      }
      sub = {
        unsubscribe: () => {
          for (const x of subs) x.unsubscribe()
        },
        get isUpToDate() {
          return subs.every((x) => x.isUpToDate)
        },
      }
    },
    stopSync() {
      stopping = true
      sub?.unsubscribe()
      sub = null
    },
    async snapshot() {
      // No autovacuum in single-user PGlite: the overlay tables (a row per message captured,
      // deleted when the synced row lands) and updated rows would otherwise grow the image,
      // the memory it is restored into and the start time without bound. A checkpoint then
      // lets the WAL go.
      await pg.exec(`VACUUM`)
      await compactOverlays(pg as unknown as PGlite)
      await pg.exec(`CHECKPOINT`)
      return dumpImage(pg as unknown as PGlite)
    },
    async close() {
      stopping = true
      sub?.unsubscribe()
      sub = null
      // pglite-sync starts its commits without awaiting them; one may still be queued. PGlite
      // runs queries one at a time, so once this no-op has run, every earlier commit has too,
      // and closing cannot fail one of them (an unhandled rejection inside pglite-sync).
      await pg.query('SELECT 1').catch(() => {})
      await new Promise((r) => setTimeout(r, 0))
      await pg.query('SELECT 1').catch(() => {})
      await pg.close()
    },
  }
}
