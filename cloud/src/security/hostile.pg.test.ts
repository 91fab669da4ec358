/**
 * The hostile suite on a real Postgres (a fresh database of its own): the same generators and
 * invariants as hostile.test.ts, another seed. Postgres differs from PGlite where it matters
 * here — parameter encoding (postgres.js), concurrency, error codes — so both engines are run.
 */
import { describe, expect, test } from 'vitest'
import { startTestCloud } from '../testing/test-cloud.ts'
import {
  auditEntriesSince,
  checkNoWrites,
  formatReport,
  runHostileSuite,
  tableState,
} from './hostile-kit.ts'
import { createHostileWorld } from './hostile-world.ts'

describe('hostile suite (Postgres)', () => {
  test('≥ 1000 generated bad inputs: zero 5xx, zero writes, zero leaked rows', async () => {
    const c = await startTestCloud({
      engine: 'postgres',
      longPollMs: 100,
      env: { KEFU_MAX_BODY_BYTES: String(64 * 1024) },
    })
    try {
      const w = await createHostileWorld(c)
      const before = await tableState(c)
      const auditFrom = (
        await c.db.query<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_log`)
      )[0]!.id
      const report = await runHostileSuite(w, { seed: 4_242 })
      const writes = await checkNoWrites(c, before, auditFrom)
      console.log(formatReport('Postgres', report, writes, await auditEntriesSince(c, auditFrom)))
      expect(report.failures.map((f) => f.slice(0, 1500))).toEqual([])
      expect(report.inputs).toBeGreaterThanOrEqual(1000)
      expect(report.serverErrors).toBe(0)
      expect(report.leaks).toBe(0)
      expect(writes).toEqual([])
    } finally {
      await c.destroy()
    }
  }, 600_000)
})
