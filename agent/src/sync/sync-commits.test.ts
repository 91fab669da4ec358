import { afterAll, beforeAll, expect, test } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import {
  changesNothing,
  CommitRunner,
  recordCommit,
  type CommitStep,
  type SyncCommitFn,
} from './sync-commits.ts'

let pg: PGlite
beforeAll(async () => {
  pg = await PGlite.create()
  await pg.exec(`
    CREATE TABLE t (id uuid PRIMARY KEY, n int, big bigint, ok boolean, body text, tags text[], doc jsonb, j json, at timestamptz, syncing text);
    CREATE FUNCTION mark() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN NEW.syncing := current_setting('electric.syncing', true); RETURN NEW; END $$;
    CREATE TRIGGER mark BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION mark();`)
})
afterAll(() => pg.close())

const INSERT = `INSERT INTO "public"."t" ("id", "n", "big", "ok", "body", "tags", "doc", "j", "at") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
// Values as the Electric client hands them to pglite-sync: numbers, bigints, booleans, parsed
// JSON, arrays with quotes, commas, backslashes and NULLs, timestamps as text.
const rows: unknown[][] = [
  [
    '00000000-0000-4000-8000-000000000001',
    1,
    2n ** 40n,
    true,
    'plain',
    ['a', 'b c'],
    { k: [1, 'x'] },
    42,
    '2026-12-07 01:00:00+00',
  ],
  [
    '00000000-0000-4000-8000-000000000002',
    -7,
    0n,
    false,
    '引号 "quoted", \\ back',
    ['with,comma', 'with "quote"', 'back\\slash', null, ''],
    [],
    { a: null },
    '2026-01-01T10:00:00.123Z',
  ],
  ['00000000-0000-4000-8000-000000000003', null, null, null, null, [], null, null, null],
]
const inserts = (rs: unknown[][]): CommitStep[] => [
  { kind: 'exec', sql: 'SET LOCAL electric.syncing = true;' },
  ...rs.map((params) => ({ kind: 'query' as const, sql: INSERT, params })),
]
const all = async () =>
  (await pg.query<Record<string, unknown>>(`SELECT * FROM t ORDER BY id`)).rows
const preparedInPostgres = async () =>
  (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements`)).rows[0]!
    .n

test('a recorded commit runs as PGlite itself would run it: same rows, same types, the flag set for the transaction only', async () => {
  // What the statements write through PGlite's own query path …
  await pg.transaction(async (tx) => {
    await tx.exec('SET LOCAL electric.syncing = true;')
    for (const r of rows) await tx.query(INSERT, r)
  })
  const expected = await all()
  await pg.exec(`TRUNCATE t`)
  // … and through the runner.
  const runner = new CommitRunner(pg)
  await runner.commit(inserts(rows))
  const got = await all()
  expect(got).toEqual(expected)
  expect(got.map((r) => r['syncing'])).toEqual(['true', 'true', 'true'])
  expect(got[1]!['tags']).toEqual(['with,comma', 'with "quote"', 'back\\slash', null, ''])
  expect(got[0]!['j']).toBe(42)
  expect(
    (await pg.query<{ s: string | null }>(`SELECT current_setting('electric.syncing', true) AS s`))
      .rows[0]!.s,
  ).toBeFalsy()
  await pg.exec(`TRUNCATE t`)
})

test('a commit is one exchange with Postgres once its statements are prepared; they stay prepared, up to the bound', async () => {
  const before = await preparedInPostgres() // other tests' runners
  const runner = new CommitRunner(pg, { maxPrepared: 2 })
  const calls: number[] = []
  const exec = pg.execProtocol.bind(pg)
  pg.execProtocol = async (m, o) => {
    calls.push(m.length)
    return exec(m, o)
  }
  try {
    const upsert = `INSERT INTO t (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n`
    const commit = (n: number): CommitStep[] => [
      { kind: 'exec', sql: 'SET LOCAL electric.syncing = true;' },
      { kind: 'query', sql: upsert, params: [rows[0]![0], n] },
      {
        kind: 'query',
        sql: `UPDATE t SET body = $1 WHERE id = $2`,
        params: [`v${n}`, rows[0]![0]],
      },
    ]
    await runner.commit(commit(1))
    expect(calls.length).toBe(3) // two statements described and prepared, then the commit
    calls.length = 0
    for (let n = 2; n <= 5; n++) await runner.commit(commit(n))
    expect(calls.length).toBe(4) // one exchange per commit
    expect(await all()).toMatchObject([{ n: 5, body: 'v5', syncing: 'true' }])
    const prepared = async () => (await preparedInPostgres()) - before
    expect(await prepared()).toBe(2)
    // A third statement evicts the least recently used; Postgres drops it in the same exchange.
    await runner.commit([
      { kind: 'query', sql: `DELETE FROM t WHERE id = $1`, params: [rows[0]![0]] },
    ])
    expect(runner.prepared).toBe(2)
    expect(await prepared()).toBe(2)
    expect(await all()).toEqual([])
    // A statement with more parameters than the bound is run, not kept.
    const wide = new CommitRunner(pg, { maxPreparedParams: 3 })
    await wide.commit(inserts(rows))
    expect(wide.prepared).toBe(0)
    expect(await prepared()).toBe(2)
    expect((await all()).length).toBe(3)
  } finally {
    pg.execProtocol = exec
    await pg.exec(`TRUNCATE t`)
  }
})

test('a failing statement fails the whole commit: nothing of it stays, and the runner goes on', async () => {
  const runner = new CommitRunner(pg)
  await runner.commit(inserts(rows.slice(0, 1)))
  const clash = inserts([rows[1]!, rows[0]!]) // the second row's id already exists
  await expect(runner.commit(clash)).rejects.toThrow(/duplicate key/)
  expect((await all()).map((r) => r['id'])).toEqual([rows[0]![0]])
  await expect(
    runner.commit([{ kind: 'query', sql: `INSERT INTO nowhere VALUES ($1)`, params: [1] }]),
  ).rejects.toThrow(/nowhere/)
  // A failing simple statement (pglite-sync's flag, a truncate) fails the rest too.
  await expect(
    runner.commit([
      { kind: 'exec', sql: 'SELECT no_such_function()' },
      ...inserts(rows.slice(1)).slice(1),
    ]),
  ).rejects.toThrow(/no_such_function/)
  expect(pg.isInTransaction()).toBe(false)
  expect((await all()).length).toBe(1)
  await runner.commit(inserts(rows.slice(1)))
  expect((await all()).length).toBe(3)
  await pg.exec(`TRUNCATE t`)
})

test('a commit waits for a transaction in progress instead of running inside it', async () => {
  const runner = new CommitRunner(pg)
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  let started!: () => void
  const inside = new Promise<void>((r) => (started = r))
  const other = pg.transaction(async (tx) => {
    await tx.query(INSERT, rows[0])
    started()
    await held
    throw new Error('rolled back on purpose')
  })
  await inside
  const commit = runner.commit(inserts(rows.slice(1)))
  await new Promise((r) => setTimeout(r, 20))
  release()
  await expect(other).rejects.toThrow(/on purpose/)
  await commit
  expect((await all()).map((r) => r['id'])).toEqual([rows[1]![0], rows[2]![0]]) // the commit's rows, not the other's
  await pg.exec(`TRUNCATE t`)
})

test('the recorder keeps the statements and the cursor; commits that move nothing are recognised', async () => {
  const cursor = (lsn: string): CommitStep => ({
    kind: 'query',
    sql: `\n      INSERT INTO "electric"."subscriptions_metadata"\n        (key, shape_metadata, last_lsn) VALUES ($1, $2, $3)`,
    params: ['kefu-agent:chat', { replies: { offset: `${lsn}_0` } }, lsn],
  })
  const replay =
    (steps: CommitStep[], rollback = false): SyncCommitFn =>
    async (tx) => {
      for (const s of steps)
        await (s.kind === 'exec' ? tx.exec(s.sql) : tx.query(s.sql, [...(s.params ?? [])]))
      if (rollback) await tx.rollback()
      return 'done'
    }
  const flag: CommitStep = { kind: 'exec', sql: 'SET LOCAL electric.syncing = true;' }
  const committed = new Map([['kefu-agent:chat', '10']])
  const rec = await recordCommit(replay([flag, cursor('10')]))
  expect(rec).toMatchObject({
    cursor: { key: 'kefu-agent:chat', lsn: '10' },
    rolledBack: false,
    result: 'done',
  })
  expect(rec.steps).toHaveLength(2)
  expect(changesNothing(rec, committed)).toBe(true) // only the read-ahead offset moves
  expect(changesNothing(await recordCommit(replay([flag, cursor('11')])), committed)).toBe(false) // the LSN moves
  expect(
    changesNothing(
      await recordCommit(
        replay([flag, { kind: 'query', sql: INSERT, params: rows[0] }, cursor('10')]),
      ),
      committed,
    ),
  ).toBe(false)
  expect(changesNothing(await recordCommit(replay([flag, cursor('11')], true)), committed)).toBe(
    true,
  ) // rolled back
  // After a rollback the transaction is closed, as PGlite's is.
  await expect(
    recordCommit(async (tx) => (await tx.rollback(), tx.exec('SELECT 1'))),
  ).rejects.toThrow(/closed/)
})

test('a commit that reaches a closed database fails instead of running', async () => {
  const other = await PGlite.create()
  const runner = new CommitRunner(other)
  await runner.commit([{ kind: 'exec', sql: 'CREATE TABLE x (n int)' }])
  await other.close()
  await expect(
    runner.commit([{ kind: 'query', sql: 'INSERT INTO x VALUES ($1)', params: [1] }]),
  ).rejects.toThrow(/closed/)
})
