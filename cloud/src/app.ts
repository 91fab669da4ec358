/**
 * The cloud's HTTP surface, assembled from route modules. Pure wiring: every dependency comes
 * in through `AppDeps`, so tests build the app in-process and call `app.request()`.
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { randomUUID } from 'node:crypto'
import type { Db } from '@kefu/migrations'
import { schemaVersion } from '@kefu/migrations'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import { ApiError, ZodError, fromZod } from './http/errors.ts'
import { authenticate, type AuthEnv, type AuthOptions } from './http/auth.ts'
import { shapeRoutes } from './sync/shape-routes.ts'
import { changesRoutes } from './sync/changes-routes.ts'
import type { ShapeService } from './sync/shape-service.ts'

export interface WorkerStatus {
  name: string
  running: boolean
  lastError?: string | undefined
}

export interface AppDeps {
  db: Db
  logger: Logger
  metrics: Metrics
  auth: AuthOptions
  shapes: ShapeService
  workers?: () => WorkerStatus[]
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number
}

export function createApp(deps: AppDeps): Hono<AuthEnv> {
  const log = deps.logger.child({ component: 'http' })
  const app = new Hono<AuthEnv>()

  app.use('*', async (c, next) => {
    c.set('requestId', c.req.header('x-request-id') ?? randomUUID())
    await next()
    c.header('x-request-id', c.get('requestId'))
  })
  app.use(
    '*',
    bodyLimit({
      maxSize: deps.maxBodyBytes ?? 1024 * 1024,
      onError: () => {
        throw new ApiError(413, { code: 'too_large', message: 'request body too large' })
      },
    }),
  )

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

  const authed = authenticate(deps.auth)
  app.use('/v1/shape', authed)
  app.use('/api/v1/changes', authed)
  app.route('/v1/shape', shapeRoutes(deps))
  app.route('/api/v1/changes', changesRoutes(deps))

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404))

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
    const requestId = c.get('requestId') ?? randomUUID()
    deps.metrics.errors.inc({ kind: 'http_500' })
    log.error({ err, requestId, method: c.req.method, path: c.req.path }, 'unhandled error')
    return c.json({ error: { code: 'internal', message: 'internal error', request_id: requestId } }, 500)
  })
  return app
}
