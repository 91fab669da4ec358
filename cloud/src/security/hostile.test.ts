/**
 * The hostile suite on embedded PGlite: more than a thousand generated bad inputs across the
 * REST API and `/v1/shape`. No 5xx, no write to any table, no row an agent may not see.
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

describe('hostile suite (PGlite)', () => {
  test('≥ 1000 generated bad inputs: zero 5xx, zero writes, zero leaked rows', async () => {
    const c = await startTestCloud({
      longPollMs: 100,
      env: { KEFU_MAX_BODY_BYTES: String(64 * 1024) },
    })
    try {
      const w = await createHostileWorld(c)
      const before = await tableState(c)
      const auditFrom = (
        await c.db.query<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_log`)
      )[0]!.id
      const report = await runHostileSuite(w, { seed: 20_240_611 })
      const writes = await checkNoWrites(c, before, auditFrom)
      console.log(formatReport('PGlite', report, writes, await auditEntriesSince(c, auditFrom)))
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
