/**
 * The hostile suite as a test, run once per engine (hostile.test.ts on PGlite,
 * hostile.pg.test.ts on Postgres): generated bad inputs across the REST API and `/v1/shape`,
 * asserting no 5xx, no write to any table and no row an agent may not see.
 */
import { describe, expect, test } from 'vitest'
import { startTestCloud } from '../testing/test-cloud.ts'
import { auditEntriesSince, checkNoWrites, formatReport, runHostileSuite, tableState } from './hostile-kit.ts'
import { createHostileWorld } from './hostile-world.ts'

export function hostileSuite(engine: 'pglite' | 'postgres', seed: number): void {
  const label = engine === 'pglite' ? 'PGlite' : 'Postgres'
  describe(`hostile suite (${label})`, () => {
    test('≥ 1000 generated bad inputs: zero 5xx, zero writes, zero leaked rows', async () => {
      const c = await startTestCloud({ engine, longPollMs: 100, env: { KEFU_MAX_BODY_BYTES: String(64 * 1024) } })
      try {
        const w = await createHostileWorld(c)
        const before = await tableState(c)
        const auditFrom = (
          await c.db.query<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_log`)
        )[0]!.id
        const report = await runHostileSuite(w, { seed })
        const writes = await checkNoWrites(c, before, auditFrom)
        console.log(formatReport(label, report, writes, await auditEntriesSince(c, auditFrom)))
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
}
