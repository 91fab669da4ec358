import { expect, test } from 'vitest'
import { createTestPostgres } from './test-db.ts'

test('pooled Postgres sessions run with our settings and without JIT (in and out of transactions)', async () => {
  const t = await createTestPostgres()
  try {
    // Several at once: each may be its own pooled connection.
    const shown = await Promise.all(
      Array.from({ length: 4 }, () => t.db.query<{ jit: string; tz: string }>(`SELECT current_setting('jit') AS jit, current_setting('TimeZone') AS tz`)),
    )
    for (const [r] of shown) expect(r).toEqual({ jit: 'off', tz: 'UTC' })
    const inTx = await t.db.transaction((tx) => tx.query<{ jit: string }>(`SELECT current_setting('jit') AS jit`))
    expect(inTx).toEqual([{ jit: 'off' }])
    // A statement estimated far above jit_above_cost is still not compiled.
    const [plan] = await t.db.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(a * b) FROM generate_series(1, 10) a, generate_series(1, 1000000) b WHERE a = 0 AND b = 0`,
    )
    expect(JSON.stringify(plan!['QUERY PLAN'])).not.toContain('"JIT"')
  } finally {
    await t.drop()
  }
})
