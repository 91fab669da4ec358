import { describe } from 'vitest'
import { openPglite } from './db.ts'
import { migrationSuite } from './migration-suite.ts'

describe('migrations on PGlite', () => {
  migrationSuite(async () => {
    const db = await openPglite()
    return { db, close: () => db.close() }
  })
})
