/**
 * The agent's replica: an in-memory PGlite holding its shapes through the official
 * `@electric-sql/pglite-sync` (the subscription cursor lives in the same database and
 * transaction as the rows), restored at start from the encrypted checkpoint in the journal.
 * Nothing of it is ever written to disk in the clear.
 */
import { PGlite } from '@electric-sql/pglite'
import { electricSync, type PGliteWithSync } from '@electric-sql/pglite-sync'
import { migrate, SESSION_SETTINGS, type Db, type Queryable } from '@kefu/migrations'
import type { SyncedTable } from '@kefu/schema'
import { AGENT_SHAPE_GROUPS } from '@kefu/sync-rules'
import type { Logger } from 'pino'

export interface Replica {
  db: Db
  pg: PGliteWithSync
  /** Subscribes to every agent shape; resolves once the subscription is set up (not synced). */
  startSync(opts: ReplicaSyncOptions): Promise<void>
  readonly upToDate: boolean
  /** When the replica last caught up with the cloud. */
  readonly lastSyncAt: Date | null
  /** A consistent compressed image of the whole database, to seal into the journal. */
  snapshot(): Promise<Uint8Array>
  stopSync(): void
  close(): Promise<void>
}

export interface ReplicaSyncOptions {
  url: string
  headers: () => Promise<Record<string, string>>
  onError?: (err: Error) => void
  onUpToDate?: () => void
  tables?: readonly SyncedTable[]
}

function wrap(pg: PGlite): Db {
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
    transaction: (fn) => pg.transaction((tx) => fn(q(tx))),
    listen: async (channel, cb) => {
      const u = await pg.listen(channel, cb)
      return async () => u()
    },
    close: () => pg.close(),
  }
}

/** Opens the replica, from a checkpoint image when there is one. */
export async function openReplica(opts: { image?: Uint8Array | undefined; logger: Logger }): Promise<Replica> {
  const pg = (await PGlite.create({
    ...(opts.image ? { loadDataDir: new Blob([opts.image as Uint8Array<ArrayBuffer>]) } : {}),
    extensions: { sync: electricSync() },
  })) as unknown as PGliteWithSync
  await pg.exec(Object.entries(SESSION_SETTINGS).map(([k, v]) => `SET ${k} = '${v}';`).join('\n'))
  const db = wrap(pg as unknown as PGlite)
  await migrate(db, 'agent')
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
    async startSync(o) {
      const only = o.tables ? new Set<string>(o.tables) : null
      // The header names are fixed for the subscription; their values are re-read per request.
      const names = Object.keys(await o.headers())
      const headers = Object.fromEntries(names.map((h) => [h, async () => (await o.headers())[h] ?? '']))
      const subs: { unsubscribe: () => void; readonly isUpToDate: boolean }[] = []
      // One subscription per group of tables applied together (see sync-rules).
      for (const [group, all] of Object.entries(AGENT_SHAPE_GROUPS)) {
        const tables = all.filter((t) => !only || only.has(t))
        if (tables.length === 0) continue
        const shapes = Object.fromEntries(
          tables.map((table) => [
            table,
            { shape: { url: `${o.url}/v1/shape`, params: { table }, headers }, table, primaryKey: ['id'] },
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
      sub?.unsubscribe()
      sub = null
    },
    async snapshot() {
      const f = await (pg as unknown as PGlite).dumpDataDir('gzip')
      return new Uint8Array(await f.arrayBuffer())
    },
    async close() {
      sub?.unsubscribe()
      sub = null
      await pg.close()
    },
  }
}
