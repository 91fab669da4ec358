import { afterEach, expect, test } from 'vitest'
import type { Db } from './db.ts'
import { loadMigrations, migrate, MigrationError, schemaVersion } from './migrate.ts'

const tables = async (db: Db) =>
  (
    await db.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    )
  ).map((r) => r.t)

/** The same migration tests run on PGlite here and on Postgres in migrate.pg.test.ts. */
export function migrationSuite(open: () => Promise<{ db: Db; close: () => Promise<void> }>) {
  let cleanup: (() => Promise<void>) | null = null
  afterEach(async () => {
    await cleanup?.()
    cleanup = null
  })
  const fresh = async () => {
    const h = await open()
    cleanup = h.close
    return h.db
  }

  test('applies every cloud migration and records the version', async () => {
    const db = await fresh()
    const all = loadMigrations('cloud')
    const r = await migrate(db, 'cloud')
    expect(r.applied).toEqual(all.map((m) => m.version))
    expect(await schemaVersion(db)).toBe(all.at(-1)!.version)
    expect(await tables(db)).toEqual(expect.arrayContaining(['messages', 'replies', 'kb_chunks', 'sync_log', 'sync_tx']))
  })

  test('applying twice is a no-op', async () => {
    const db = await fresh()
    await migrate(db, 'cloud')
    const before = await tables(db)
    const again = await migrate(db, 'cloud')
    expect(again.applied).toEqual([])
    expect(await tables(db)).toEqual(before)
    const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM schema_migrations`)
    expect(n[0]!.n).toBe(loadMigrations('cloud').length)
  })

  test('a failing migration leaves the database as it was', async () => {
    const db = await fresh()
    await migrate(db, 'cloud')
    const before = await tables(db)
    const version = await schemaVersion(db)
    const bad = {
      version: version + 1,
      name: 'half_broken',
      sql: `CREATE TABLE half_done (id int); INSERT INTO half_done VALUES (1); SELECT no_such_function();`,
      checksum: 'x',
    }
    await expect(migrate(db, 'cloud', [...loadMigrations('cloud'), bad])).rejects.toBeInstanceOf(MigrationError)
    expect(await tables(db)).toEqual(before)
    expect(await schemaVersion(db)).toBe(version)
  })

  test('a migration edited after it was applied is refused', async () => {
    const db = await fresh()
    const ms = loadMigrations('cloud')
    await migrate(db, 'cloud', ms.slice(0, 1))
    const edited = [{ ...ms[0]!, checksum: 'changed' }]
    await expect(migrate(db, 'cloud', edited)).rejects.toThrow(/changed after it was applied/)
  })

  test('the agent replica migrations apply and are idempotent', async () => {
    const db = await fresh()
    const r = await migrate(db, 'agent')
    expect(r.applied.length).toBeGreaterThan(0)
    expect((await migrate(db, 'agent')).applied).toEqual([])
    expect(await tables(db)).toEqual(expect.arrayContaining(['messages', 'replies', 'conversations', 'faq', 'rules']))
  })
}

