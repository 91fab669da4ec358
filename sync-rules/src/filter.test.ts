import { afterAll, beforeAll, expect, test } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { hstore } from '@electric-sql/pglite/contrib/hstore'
import { and, eq, filterToSql, matchesRow, type Filter } from './filter.ts'

// The snapshot (SQL) and the live changes (row images from the change log, hstore text) must
// select the same rows, or an agent misses what existed before it subscribed.
let pg: PGlite
beforeAll(async () => {
  pg = await PGlite.create({ extensions: { hstore } })
  await pg.exec(`
    CREATE EXTENSION hstore;
    CREATE TABLE t (id int PRIMARY KEY, published boolean, status text, agent_id uuid, at timestamptz, n int);
    INSERT INTO t VALUES
      (1, true, 'published', '01a2215e-be4e-75b3-8335-01b029ea1b95', '2026-01-01 10:00+08', 7),
      (2, false, 'draft', '01a2215e-be4e-75b3-8335-01b029ea1b96', '2026-01-02 10:00+08', 8),
      (3, NULL, NULL, NULL, NULL, NULL);
  `)
})
afterAll(async () => {
  await pg?.close()
})

const filters: Filter[] = [
  eq('published', 't'),
  eq('published', 'f'),
  eq('status', 'published'),
  eq('agent_id', '01a2215e-be4e-75b3-8335-01b029ea1b95'),
  eq('n', '8'),
  and(eq('published', 't'), eq('status', 'published')),
  and(),
]

test.each(filters.map((f) => [JSON.stringify(f), f] as const))(
  'SQL and in-memory evaluation agree: %s',
  async (_, f) => {
    const w = filterToSql(f)
    const bySql = (
      await pg.query<{ id: number }>(`SELECT id FROM t WHERE (${w.sql}) ORDER BY id`, w.params)
    ).rows.map((r) => r.id)
    const images = (
      await pg.query<{ id: number; r: Record<string, string | null> }>(
        `SELECT id, hstore_to_json(hstore(t)) AS r FROM t ORDER BY id`,
      )
    ).rows
    const inMemory = images.filter((x) => matchesRow(f, x.r)).map((x) => x.id)
    expect(bySql).toEqual(inMemory)
  },
)

test('a published boolean matches in both forms', async () => {
  const w = filterToSql(eq('published', 't'))
  expect((await pg.query(`SELECT id FROM t WHERE (${w.sql})`, w.params)).rows).toEqual([{ id: 1 }])
})
