/**
 * Refresh-token rotation under real concurrency (Postgres; PGlite has one connection): two
 * requests presenting the same token race, exactly one wins, and the loser's reuse revokes
 * the family — a copied token cannot outlive the original by racing it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'

describe('refresh rotation on Postgres', () => {
  let c: TestCloud
  beforeAll(async () => {
    c = await startTestCloud({ engine: 'postgres' })
  })
  afterAll(async () => c.destroy())

  const refresh = (token: string) =>
    fetch(`${c.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: token }),
    })

  test('concurrent refreshes with one token: one rotation, then the family is revoked', async () => {
    const a = await c.createAgentWithSecret()
    for (let round = 0; round < 5; round++) {
      const t = await c.loginAgent(a.id, a.secret)
      const results = await Promise.all([
        refresh(t.refresh_token),
        refresh(t.refresh_token),
        refresh(t.refresh_token),
      ])
      const statuses = results.map((r) => r.status).sort()
      expect(statuses).toEqual([200, 401, 401])
      const winner = (await results.find((r) => r.status === 200)!.json()) as {
        refresh_token: string
        access_token: string
      }
      // The race counts as reuse: the winner's new tokens are dead too.
      expect((await refresh(winner.refresh_token)).status).toBe(401)
      const shape = await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, {
        headers: c.bearer(winner.access_token),
      })
      expect(shape.status).toBe(401)
    }
    const rows = await c.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE used_at IS NOT NULL`,
    )
    expect(rows[0]!.n).toBe(5)
  })
})
