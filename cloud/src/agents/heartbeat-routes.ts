/**
 * Agent heartbeats: every agent reports its status (online view, sync lag, outbox depth, WeChat
 * window, last capture) every few seconds; supervisors list them. Counts and times only.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { Db } from '@kefu/migrations'
import type { AuthEnv } from '../http/auth.ts'
import { forbidden, readJson, validate } from '../http/errors.ts'
import type { Metrics } from '../metrics.ts'

const ts = z.iso.datetime({ offset: true }).nullable()
export const Heartbeat = z.strictObject({
  online: z.boolean(),
  lastContactAt: ts,
  replicaUpToDate: z.boolean(),
  syncLagMs: z.number().int().min(0).max(1e10).nullable(),
  outboxDepth: z.number().int().min(0).max(1e9),
  rejectedChanges: z.number().int().min(0).max(1e9),
  windowFound: z.boolean(),
  lastCaptureAt: ts,
  captured: z.number().int().min(0).max(1e12),
  sent: z.number().int().min(0).max(1e12),
  startedAt: z.iso.datetime({ offset: true }),
  version: z.string().max(40).optional(),
})
export type Heartbeat = z.infer<typeof Heartbeat>

/** Agents seen within this window count as online. */
export const ONLINE_WINDOW_S = 30

export function heartbeatRoutes(deps: { db: Db; metrics: Metrics }): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const refreshOnline = async () => {
    const r = await deps.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM agents WHERE NOT disabled AND last_seen_at > now() - make_interval(secs => $1)`,
      [ONLINE_WINDOW_S],
    )
    deps.metrics.agentOnline.set(r[0]!.n)
  }
  app.post('/heartbeat', async (c) => {
    const p = c.get('principal')
    if (p.kind !== 'agent') throw forbidden('only agents send heartbeats')
    const hb = validate(Heartbeat, await readJson(c.req.raw))
    await deps.db.query(`UPDATE agents SET status = $2::text::jsonb, last_seen_at = now() WHERE id = $1::uuid`, [p.agentId, JSON.stringify(hb)])
    deps.metrics.outboxDepth.set({ agent: p.agentId }, hb.outboxDepth)
    if (hb.syncLagMs !== null) deps.metrics.syncLag.set({ agent: p.agentId }, hb.syncLagMs / 1000)
    await refreshOnline()
    return c.json({ ok: true })
  })
  app.get('/', async (c) => {
    await refreshOnline()
    const rows = await deps.db.query<{ id: string; name: string; disabled: boolean; last_seen_at: string | null; status: unknown; online: boolean }>(
      `SELECT id::text AS id, name, disabled, last_seen_at, status,
              coalesce(last_seen_at > now() - make_interval(secs => $1), false) AS online
         FROM agents ORDER BY name`,
      [ONLINE_WINDOW_S],
    )
    return c.json({ agents: rows })
  })
  return app
}
