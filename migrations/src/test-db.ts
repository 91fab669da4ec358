/**
 * Real-Postgres test databases: each test gets its own freshly created database on the
 * machine's server and drops it afterwards (no shared state, no mocks).
 */
import postgres from 'postgres'
import { randomBytes } from 'node:crypto'
import { openPostgres, type Db } from './db.ts'

/** The server tests use; CI and the dev machine run PostgreSQL here with trust auth. */
export const PG_TEST_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestPostgres {
  db: Db
  url: string
  name: string
  drop(): Promise<void>
}

/** Creates an empty database named `kefu_test_<random>` and opens it. */
export async function createTestPostgres(opts: { max?: number } = {}): Promise<TestPostgres> {
  const name = `kefu_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(PG_TEST_URL, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = PG_TEST_URL.replace(/\/postgres$/, `/${name}`)
  const db = openPostgres({ url, max: opts.max ?? 10 })
  return {
    db,
    url,
    name,
    async drop() {
      await db.close()
      const a = postgres(PG_TEST_URL, { max: 1, onnotice: () => {} })
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await a.end()
      }
    },
  }
}
