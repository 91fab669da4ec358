import { describe } from 'vitest'
import { migrationSuite } from './migration-suite.ts'
import { createTestPostgres } from './test-db.ts'

describe('migrations on Postgres', () => {
  migrationSuite(async () => {
    const t = await createTestPostgres()
    return { db: t.db, close: () => t.drop() }
  })
})
