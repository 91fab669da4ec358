/**
 * `GET /v1/shape` and `DELETE /v1/shape`: the Electric HTTP protocol on top of the shape
 * service. Agents get the shape their sync rules allow, whatever they put in the query string.
 */
import { Hono, type Context } from 'hono'
import type { Queryable } from '@kefu/migrations'
import { AGENT_SHAPE_GROUPS, agentShapeGroup, agentShapeRule } from '@kefu/sync-rules'
import type { AuthEnv, Principal } from '../http/auth.ts'
import type { Metrics } from '../metrics.ts'
import { whereAllowlistProblem } from '../security/where-allowlist.ts'
import { parseShapeRequest, ShapeRequestError, type ShapeRequest } from './shape-request.ts'
import { ShapeDefError, type ShapeDef, type ShapeService } from './shape-service.ts'

const EXPOSE = 'electric-handle, electric-offset, electric-schema, electric-cursor, electric-up-to-date, retry-after'
const CURSOR_EPOCH = Date.UTC(2024, 9, 9)

function invalid(c: Context, errors: Record<string, string[]>) {
  c.header('cache-control', 'no-store')
  return c.json({ message: 'Invalid request', errors }, 400)
}

/** The definition a principal is allowed to read for this request. */
async function resolveDef(shapes: ShapeService, p: Principal, r: ShapeRequest): Promise<ShapeDef> {
  if (p.kind === 'agent') {
    const rule = agentShapeRule(r.table)
    if (!rule) throw new ShapeDefError('table', `table not found: ${r.table}`)
    // The filter comes from the rules and the caller's identity only; a where could only
    // narrow it, and a narrowing agent has no use for it, so it is refused outright.
    if (r.where !== null || Object.keys(r.params).length > 0)
      throw new ShapeDefError('where', 'is decided by the server for agents')
    const columns = r.columns ?? [...rule.columns]
    for (const col of columns)
      if (!rule.columns.includes(col)) throw new ShapeDefError('columns', `unknown column: ${col}`)
    const def: ShapeDef = {
      table: rule.table,
      filter: rule.filter(p.agentId),
      scope: { agentId: p.agentId, group: AGENT_SHAPE_GROUPS[agentShapeGroup(rule.table)] },
      where: null,
      params: {},
      columns,
      replica: r.replica,
      log: r.log,
    }
    await shapes.checkDef(def)
    return def
  }
  if (!p.permissions.includes('read:message'))
    throw new ShapeDefError('table', 'this needs the read:message permission')
  const info = await shapes.tableInfo(r.table)
  // A user's where may only talk about this table's columns (no subqueries into other tables).
  if (r.where !== null) {
    const problem = whereAllowlistProblem(r.where, info.columns.map((c) => c.name))
    if (problem) throw new ShapeDefError('where', problem)
  }
  const def: ShapeDef = {
    table: r.table,
    filter: null,
    where: r.where,
    params: r.where ? r.params : {},
    columns: r.columns ?? info.columns.map((c) => c.name),
    replica: r.replica,
    log: r.log,
  }
  await shapes.checkDef(def)
  return def
}

const INT8_MAX = 2n ** 63n - 1n

/**
 * An offset past the newest commit on a live handle can only be forged: refuse it (as Electric
 * does) instead of waiting for a head that may never come. With an unknown handle (a rebuilt
 * database, say) the service answers 409 must-refetch, which the client recovers from.
 */
async function offsetProblem(db: Queryable, shapes: ShapeService, r: ShapeRequest): Promise<string | null> {
  if (r.offset.kind !== 'at') return null
  if (r.offset.lsn > INT8_MAX || (r.offset.op !== 'inf' && r.offset.op > INT8_MAX)) return 'is out of bounds'
  // The in-memory head answers almost every request; only an offset past it costs a query.
  if (await shapes.isAtOrBelowHead(r.offset.lsn)) return null
  const live = await db.query(`SELECT 1 FROM sync_shapes WHERE handle = $1 AND invalidated_at IS NULL`, [r.handle])
  return live.length > 0 ? 'is out of bounds for this shape' : null
}

export function shapeRoutes(deps: { shapes: ShapeService; metrics: Metrics; db: Queryable }): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  // Set before the handler answers (afterwards Hono would rebuild the response; see app.ts).
  app.use('*', async (c, next) => {
    c.header('access-control-expose-headers', EXPOSE)
    await next()
  })

  app.get('/', async (c) => {
    const q = new URL(c.req.url).searchParams
    let req: ShapeRequest
    let def: ShapeDef
    try {
      req = parseShapeRequest(q)
      def = await resolveDef(deps.shapes, c.get('principal'), req)
    } catch (err) {
      if (err instanceof ShapeRequestError) return invalid(c, err.errors)
      if (err instanceof ShapeDefError) {
        if (err.message.includes('permission')) return c.json({ message: err.message }, 403)
        return invalid(c, { [err.field]: [err.message] })
      }
      throw err
    }
    const bad = await offsetProblem(deps.db, deps.shapes, req)
    if (bad) return invalid(c, { offset: [bad] })
    const res = await deps.shapes.serve(def, req, c.get('signal') ?? c.req.raw.signal)
    const mode = req.live ? 'live' : req.offset.kind === 'start' ? 'snapshot' : 'catchup'
    if (res.kind === 'must-refetch') {
      deps.metrics.shapeRequests.inc({ mode, status: '409' })
      c.header('electric-handle', res.handle)
      c.header('cache-control', 'public, max-age=60, must-revalidate')
      return c.json([{ headers: { control: 'must-refetch' } }], 409)
    }
    deps.metrics.shapeRequests.inc({ mode, status: '200' })
    c.header('electric-handle', res.handle)
    c.header('electric-offset', res.offset)
    if (res.schema !== null) c.header('electric-schema', res.schema)
    if (res.upToDate) c.header('electric-up-to-date', '')
    if (req.live) {
      const cursor = Math.ceil((Date.now() - CURSOR_EPOCH) / 20_000) * 20
      // The client echoes the cursor back; anything but a small whole number is treated as none.
      const given = Number(q.get('cursor') ?? '0')
      const prev = Number.isSafeInteger(given) && given >= 0 ? given : 0
      c.header('electric-cursor', String(cursor > prev ? cursor : prev + 1 + Math.floor(Math.random() * 3600)))
    }
    // No cache sits between agents and the cloud; never let one replay a stale log.
    c.header('cache-control', 'no-store')
    return c.json(res.messages)
  })

  app.delete('/', async (c) => {
    const p = c.get('principal')
    if (p.kind !== 'user' || !p.permissions.includes('admin')) return c.json({ message: 'shape deletion needs the admin permission' }, 403)
    const q = new URL(c.req.url).searchParams
    const handle = q.get('handle')
    let def: ShapeDef | null = null
    if (q.get('table')) {
      try {
        const r = parseShapeRequest(new URLSearchParams([...q, ['offset', '-1']].filter(([k]) => k !== 'handle' || false)))
        def = await resolveDef(deps.shapes, p, r)
      } catch (err) {
        if (err instanceof ShapeRequestError) return invalid(c, err.errors)
        if (err instanceof ShapeDefError) return invalid(c, { [err.field]: [err.message] })
        throw err
      }
    }
    if (!def && !handle) return invalid(c, { table: ["can't be blank"] })
    const r = await deps.shapes.deleteShape(def, handle)
    if (r === 'not-found') return c.json({ message: 'no such shape' }, 404)
    if (r === 'mismatch') return invalid(c, { handle: ['does not match the shape definition'] })
    return c.body(null, 202)
  })
  return app
}
