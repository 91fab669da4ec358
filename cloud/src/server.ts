/**
 * Starting and stopping one cloud instance: database (PGlite by default, Postgres with
 * DATABASE_URL), migrations, the change-log tail, the HTTP server and the workers.
 */
import { serve, type ServerType } from '@hono/node-server'
import { createServer as createHttpsServer } from 'node:https'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { migrate, openDb, type Db } from '@kefu/migrations'
import { SYNCED_TABLES } from '@kefu/schema'
import { createApp, type CloudApp, type WorkerStatus } from './app.ts'
import { embedderChoiceOf, trustProxyHops, type CloudConfig } from './config.ts'
import type { Logger } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { replyPipelineWorkers } from './pipeline/reply-pipeline.ts'
import { createLogTail, type LogTail } from './sync/log-tail.ts'
import { createShapeService } from './sync/shape-service.ts'

/** A background worker: `run()` resolves when stopped; `stop()` asks it to. */
export interface Worker {
  name: string
  run(): Promise<void>
  stop(): Promise<void>
  status(): WorkerStatus
}

export interface CloudInstance {
  url: string
  port: number
  /** The HTTP app (in-process requests, the route table test). */
  app: CloudApp
  db: Db
  tail: LogTail
  metrics: Metrics
  close(): Promise<void>
}

export interface StartCloudOptions {
  config: CloudConfig
  logger: Logger
  /** Use this database instead of opening one from the config (tests). */
  db?: Db
  /** The workers to run; default: the reply pipeline as the config describes it. */
  workers?: (ctx: { db: Db; tail: LogTail; metrics: Metrics; logger: Logger }) => Worker[]
}

export async function startCloud(opts: StartCloudOptions): Promise<CloudInstance> {
  const { config, logger } = opts
  const db = opts.db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }))
  const m = await migrate(db, 'cloud')
  logger.info({ engine: db.engine, schema_version: m.version, applied: m.applied }, 'database ready')
  const metrics = createMetrics()
  const tail = createLogTail({ db, logger })
  await tail.start()
  const shapes = createShapeService({ db, tail, logger, longPollMs: config.longPollMs, tables: SYNCED_TABLES })
  const makeWorkers =
    opts.workers ??
    replyPipelineWorkers({ embedder: embedderChoiceOf(config), llm: config.llm, debounceMs: config.debounceMs })
  const workers = config.workers ? makeWorkers({ db, tail, metrics, logger }) : []
  const app = createApp({
    db,
    logger,
    metrics,
    shapes,
    auth: {
      agentSecret: config.agentSecret,
      adminToken: config.adminToken,
      jwtSecret: config.jwtSecret,
      accessTtlS: config.accessTtlS,
      refreshTtlS: config.refreshTtlS,
      trustProxyHops: trustProxyHops(config),
      rateLimitPerSec: config.rateLimitPerSec,
      rateLimitBurst: config.rateLimitBurst,
      loginPerMin: config.loginPerMin,
      passwordHashCost: config.passwordHashCost,
    },
    maxBodyBytes: config.maxBodyBytes,
    workers: () => workers.map((w) => w.status()),
  })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        ...(config.tlsCert && config.tlsKey
          ? {
              createServer: createHttpsServer,
              serverOptions: {
                cert: readFileSync(config.tlsCert),
                key: readFileSync(config.tlsKey),
                minVersion: 'TLSv1.2' as const,
              },
            }
          : {}),
      },
      () => resolve(s),
    )
  })
  // Live shape requests are held ~20 s; keep-alive must outlast them. The request timeout
  // bounds receiving a request (slow-loris), not the held response.
  if ('keepAliveTimeout' in server) {
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
    server.requestTimeout = 120_000
  }
  const port = (server.address() as AddressInfo).port
  const scheme = config.tlsCert ? 'https' : 'http'
  const url = `${scheme}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`
  const running = workers.map((w) =>
    w.run().catch((err: unknown) => logger.error({ err, worker: w.name }, 'worker crashed')),
  )
  let closed = false
  return {
    url,
    port,
    app,
    db,
    tail,
    metrics,
    async close() {
      if (closed) return
      closed = true
      await Promise.all(workers.map((w) => w.stop()))
      await Promise.all(running)
      await tail.stop()
      await new Promise<void>((r) => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        server.close(() => r())
      })
      if (!opts.db) await db.close()
    },
  }
}
