/**
 * Forward-only numbered migrations. Each file runs in its own transaction together with the
 * row that records it, so a failing migration leaves the database as it was and applying the
 * set twice is a no-op. A lock keeps two cloud instances from migrating at once.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { Db } from './db.ts'

export type MigrationTarget = 'cloud' | 'agent'

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The migrations of a target, in order, read from `migrations/<target>/NNNN_name.sql`. */
export function loadMigrations(target: MigrationTarget, dir = join(ROOT, target)): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const sql = readFileSync(join(dir, f), 'utf8')
      return {
        version: Number(f.slice(0, 4)),
        name: f.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
      }
    })
}

export class MigrationError extends Error {
  readonly version: number
  constructor(m: Migration, cause: unknown) {
    super(`migration ${m.version} (${m.name}) failed: ${(cause as Error).message}`, { cause })
    this.name = 'MigrationError'
    this.version = m.version
  }
}

export interface MigrateResult {
  applied: number[]
  version: number
}

/** Applies the pending migrations of `target` to `db`. */
export async function migrate(
  db: Db,
  target: MigrationTarget,
  migrations: Migration[] = loadMigrations(target),
): Promise<MigrateResult> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`)
  const applied: number[] = []
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      // Serialises concurrent migrators; released at the end of this transaction.
      await tx.query('SELECT pg_advisory_xact_lock(74110000)')
      const seen = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migrations WHERE version = $1',
        [m.version],
      )
      if (seen.length > 0) {
        if (seen[0]!.checksum !== m.checksum)
          throw new Error(`migration ${m.version} (${m.name}) was changed after it was applied`)
        return false
      }
      try {
        await tx.exec(m.sql)
      } catch (err) {
        throw new MigrationError(m, err)
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ])
      return true
    })
    if (done) applied.push(m.version)
  }
  return { applied, version: await schemaVersion(db) }
}

/** The highest applied migration, or 0 on an empty database. */
export async function schemaVersion(db: Pick<Db, 'query'>): Promise<number> {
  const rows = await db.query<{ v: number | null }>(
    `SELECT max(version)::int AS v FROM schema_migrations`,
  )
  return rows[0]?.v ?? 0
}
