import { Hono } from 'hono'
import { ChangeBatch } from '@kefu/schema'
import type { Db } from '@kefu/migrations'
import type { AuthEnv } from '../http/auth.ts'
import { requireAgent } from '../http/auth.ts'
import { badRequest, readJson, validate } from '../http/errors.ts'
import type { Metrics } from '../metrics.ts'
import { applyChanges } from './apply-changes.ts'

/** `POST /api/v1/changes`: an agent's outbox batch, applied atomically and idempotently. */
export function changesRoutes(deps: { db: Db; metrics: Metrics }): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.post('/', requireAgent, async (c) => {
    const p = c.get('principal')
    if (p.kind !== 'agent') throw new Error('unreachable')
    const batch = validate(ChangeBatch, await readJson(c.req.raw))
    const ids = new Set<string>()
    batch.changes.forEach((ch, i) => {
      if (ids.has(ch.id)) throw badRequest(`changes[${i}].id: appears twice in the batch`, `changes[${i}].id`)
      ids.add(ch.id)
    })
    const results = await applyChanges(deps.db, p.agentId, batch.changes)
    for (const [i, r] of results.entries()) {
      deps.metrics.changesApplied.inc({ status: r.status })
      const ch = batch.changes[i]!
      if (r.status === 'applied' && ch.kind === 'insert_message' && ch.row.direction === 'in') deps.metrics.messageReceived.inc()
      if (r.status === 'applied' && ch.kind === 'update_reply' && ch.set.status === 'sent') deps.metrics.messageSent.inc()
    }
    return c.json({ results })
  })
  return app
}
