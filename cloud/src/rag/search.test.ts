import { describe } from 'vitest'
import { openPglite } from '@kefu/migrations'
import { searchSuite } from './search-suite.ts'

describe('retrieval on PGlite', () => {
  searchSuite(async () => {
    const db = await openPglite()
    return { db, close: () => db.close() }
  })
})
