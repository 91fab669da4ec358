/**
 * The cloud's HTTP surface, assembled from route modules. Pure wiring: every dependency comes
 * in through `AppDeps`, so tests build the app in-process and call `app.request()`.
 *
 * Who may call what is declared once, in security/route-table.ts: each entry gets its guard
 * before any handler is registered, and a test proves no handler exists without one.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { randomUUID } from 'node:crypto'
import type { Db } from '@kefu/migrations'
import { schemaVersion } from '@kefu/migrations'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import {
  ApiError,
  ZodError,
  badRequest,
  fromDatabase,
  fromZod,
  textProblem,
  tooLarge,
} from './http/errors.ts'
import type { AuthEnv } from './http/auth.ts'
import { shapeRoutes } from './sync/shape-routes.ts'
import { changesRoutes } from './sync/changes-routes.ts'
import { heartbeatRoutes } from './agents/heartbeat-routes.ts'
import type { ShapeService } from './sync/shape-service.ts'
import { adminRoutes } from './security/admin-routes.ts'
import { authRoutes } from './security/auth-routes.ts'
import { createGuard } from './security/guard.ts'
import { ROUTES } from './security/route-table.ts'
import { createSecurity, type Security, type SecurityOptions } from './security/security.ts'

export interface WorkerStatus {
  name: string
  running: boolean
  lastError?: string | undefined
}

export interface AppDeps {
  db: Db
  logger: Logger
  metrics: Metrics
  /** Credentials, tokens, limits (everything but `db` and `logger`, which come from here). */
  auth: Omit<SecurityOptions, 'db' | 'logger'>
  shapes: ShapeService
  workers?: () => WorkerStatus[]
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number
}

export type CloudApp = Hono<AuthEnv> & { security: Security }

export function createApp(deps: AppDeps): CloudApp {
  const log = deps.logger.child({ component: 'http' })
  const security = createSecurity({ ...deps.auth, db: deps.db, logger: deps.logger })
  const app = new Hono<AuthEnv>()

  // Both middlewares below are on the path of every shape request (a live agent sends one per
  // commit that concerns it), and both once cost more than serving the shape: a header set
  // after the handler has answered makes Hono rebuild the response around its body as a web
  // stream, and asking a GET for its body makes the Node adapter build a whole web Request.
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id')
    const id = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
    c.set('requestId', id)
    c.header('x-request-id', id) // before the response exists: it is built with it
    await next()
    if (c.res.headers.get('x-request-id') !== id) c.header('x-request-id', id) // a response made elsewhere
  })
  const limitBody = bodyLimit({
    maxSize: deps.maxBodyBytes ?? 1024 * 1024,
    onError: () => {
      throw tooLarge()
    },
  })
  app.use('*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)))
  // Query parameters reach SQL as bound text: refuse what Postgres text cannot hold up front.
  app.use('*', async (c, next) => {
    for (const [k, v] of new URL(c.req.url).searchParams) {
      const problem = textProblem(k) ?? textProblem(v)
      if (problem)
        throw badRequest(
          `query parameter ${JSON.stringify(k.slice(0, 40))}: ${problem}`,
          k.slice(0, 40),
        )
    }
    await next()
  })

  const guard = createGuard(security)
  for (const spec of ROUTES) app.on(spec.method, spec.path, guard(spec))

  app.get('/api/v1/health', async (c) => {
    let database: { ok: boolean; engine: string; schema_version?: number; error?: string }
    try {
      database = { ok: true, engine: deps.db.engine, schema_version: await schemaVersion(deps.db) }
    } catch (err) {
      database = { ok: false, engine: deps.db.engine, error: (err as Error).message }
    }
    const workers = deps.workers?.() ?? []
    const ok = database.ok && workers.every((w) => w.running)
    return c.json({ status: ok ? 'ok' : 'degraded', database, workers }, ok ? 200 : 503)
  })

  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType)
    return c.body(await deps.metrics.registry.metrics())
  })

  // Electric's health probe: harnesses poll it and wait for "active".
  app.get('/v1/health', (c) => c.json({ status: 'active' }))

  app.route('/api/v1/auth', authRoutes(security))
  app.route('/api/v1/admin', adminRoutes(security))
  app.route('/v1/shape', shapeRoutes(deps))
  app.route('/api/v1/changes', changesRoutes(deps))
  app.route('/api/v1/agents', heartbeatRoutes(deps))

  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  )

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      deps.metrics.errors.inc({ kind: `http_${err.status}` })
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v)
      return c.json({ error: err.body }, err.status)
    }
    if (err instanceof ZodError) {
      const e = fromZod(err)
      return c.json({ error: e.body }, 400)
    }
    // A value the database refused (out of range, malformed): the request's fault, not ours.
    const db = fromDatabase(err)
    if (db) {
      deps.metrics.errors.inc({ kind: `http_${db.status}` })
      log.warn(
        {
          requestId: c.get('requestId'),
          method: c.req.method,
          path: c.req.path,
          status: db.status,
        },
        'database refused a value',
      )
      return c.json({ error: db.body }, db.status)
    }
    const requestId = c.get('requestId') ?? randomUUID()
    deps.metrics.errors.inc({ kind: 'http_500' })
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'unhandled error')
    return c.json(
      { error: { code: 'internal', message: 'internal error', request_id: requestId } },
      500,
    )
  })
  return Object.assign(app, { security })
}
