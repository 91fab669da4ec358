/**
 * A real cloud for tests: on an in-memory PGlite or on a fresh Postgres database of its own,
 * listening on a free port, with an admin token and an agent secret.
 */
import { createTestPostgres, openPglite, type Db } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import { loadCloudConfig } from '../config.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { startCloud, type CloudInstance, type StartCloudOptions } from '../server.ts'

export const ADMIN_TOKEN = 'test-admin-token-0123456789'
export const AGENT_SECRET = 'test-agent-secret-0123456789'

export interface TestCloud extends CloudInstance {
  adminHeaders: Record<string, string>
  agentHeaders(agentId: string): Record<string, string>
  /** Inserts an agent row and returns its id. */
  createAgent(name?: string): Promise<string>
  /** Stops the cloud and drops its database. */
  destroy(): Promise<void>
}

export interface TestCloudOptions {
  engine?: 'pglite' | 'postgres'
  /** Reuse a database (to restart a cloud on the same data). */
  db?: Db
  longPollMs?: number
  logger?: Logger
  port?: number
  workers?: StartCloudOptions['workers']
  env?: Record<string, string>
}

export async function startTestCloud(o: TestCloudOptions = {}): Promise<TestCloud & { dropDb: () => Promise<void> }> {
  let db = o.db
  let drop = async () => {}
  if (!db) {
    if (o.engine === 'postgres') {
      const t = await createTestPostgres({ max: 20 })
      db = t.db
      drop = () => t.drop()
    } else {
      const p = await openPglite()
      db = p
      drop = () => p.close()
    }
  }
  const config = loadCloudConfig(['--port', String(o.port ?? 0)], {
    KEFU_ADMIN_TOKEN: ADMIN_TOKEN,
    KEFU_AGENT_SECRET: AGENT_SECRET,
    KEFU_LONG_POLL_MS: String(o.longPollMs ?? 20_000),
    ...o.env,
  })
  const cloud = await startCloud({
    config,
    logger: o.logger ?? silentLogger(),
    db,
    ...(o.workers ? { workers: o.workers } : {}),
  })
  const theDb = db
  return {
    ...cloud,
    adminHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` },
    agentHeaders: (agentId) => ({ 'x-kefu-agent-id': agentId, 'x-kefu-agent-secret': AGENT_SECRET }),
    async createAgent(name = 'agent') {
      const id = newId()
      await theDb.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, $2)`, [id, name])
      return id
    },
    dropDb: drop,
    async destroy() {
      await cloud.close()
      await drop()
    },
  }
}
