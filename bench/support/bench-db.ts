/**
 * A scratch database for a benchmark: `auto` takes a fresh database on the local Postgres test
 * server if it answers, else an in-memory PGlite; `drop` removes it.
 */
import { createTestPostgres, openPglite, type Db } from '@kefu/migrations'

export async function openBenchDb(
  engine: 'pglite' | 'postgres' | 'auto',
): Promise<{ db: Db; engine: 'pglite' | 'postgres'; drop: () => Promise<void> }> {
  if (engine !== 'pglite') {
    try {
      const t = await createTestPostgres({ max: 20 })
      return { db: t.db, engine: 'postgres', drop: () => t.drop() }
    } catch (err) {
      if (engine === 'postgres') throw err
    }
  }
  const db = await openPglite()
  return { db, engine: 'pglite', drop: () => db.close() }
}
