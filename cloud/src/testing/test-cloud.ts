/**
 * A real cloud for tests: on an in-memory PGlite or on a fresh Postgres database of its own,
 * listening on a free port, with an admin token, an agent secret and a fixed token key.
 */
import { createTestPostgres, openPglite, type Db } from '@kefu/migrations'
import { newId, type Role } from '@kefu/schema'
import { loadCloudConfig } from '../config.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { startCloud, type CloudInstance, type StartCloudOptions } from '../server.ts'

export const ADMIN_TOKEN = 'test-admin-token-0123456789'
export const AGENT_SECRET = 'test-agent-secret-0123456789'
export const JWT_SECRET = 'test-jwt-secret-0123456789-0123456789-abcdef'

/** What a login answers. */
export interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
  refresh_expires_in: number
  token_type: 'Bearer'
}

export interface TestCloud extends CloudInstance {
  adminHeaders: Record<string, string>
  agentHeaders(agentId: string): Record<string, string>
  /** Inserts an agent row and returns its id. */
  createAgent(name?: string): Promise<string>
  /** Creates an agent through the admin API; returns its id and its secret. */
  createAgentWithSecret(name?: string): Promise<{ id: string; secret: string }>
  /** Creates a console user through the admin API. */
  createUser(role: Role, username?: string): Promise<{ id: string; username: string; password: string }>
  /** Logs an agent in (`POST /api/v1/auth/login`). */
  loginAgent(id: string, secret: string): Promise<TokenPair>
  /** Logs a user in (`POST /api/v1/auth/user-login`). */
  loginUser(username: string, password: string): Promise<TokenPair>
  /** `{ authorization: 'Bearer …' }`. */
  bearer(token: string): Record<string, string>
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
  /** Extra environment (KEFU_RATE_LIMIT_*, KEFU_TLS_*, …), applied last. */
  env?: Record<string, string>
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

async function expectOk<T>(r: Response, what: string): Promise<T> {
  if (!r.ok) throw new Error(`${what}: HTTP ${r.status} ${await r.text()}`)
  return (await r.json()) as T
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
    KEFU_JWT_SECRET: JWT_SECRET,
    KEFU_LONG_POLL_MS: String(o.longPollMs ?? 20_000),
    // Cheap hashes and roomy limits keep unrelated tests fast; the security tests set their own.
    KEFU_PASSWORD_HASH_COST: '10',
    KEFU_RATE_LIMIT_PER_SEC: '10000',
    KEFU_RATE_LIMIT_BURST: '100000',
    KEFU_LOGIN_RATE_LIMIT: '10000',
    ...o.env,
  })
  const cloud = await startCloud({
    config,
    logger: o.logger ?? silentLogger(),
    db,
    // Quiet by default: a test that wants the reply pipeline passes its workers.
    workers: o.workers ?? (() => []),
  })
  const theDb = db
  const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` }
  let users = 0
  return {
    ...cloud,
    adminHeaders,
    agentHeaders: (agentId) => ({ 'x-kefu-agent-id': agentId, 'x-kefu-agent-secret': AGENT_SECRET }),
    async createAgent(name = 'agent') {
      const id = newId()
      await theDb.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, $2)`, [id, name])
      return id
    },
    async createAgentWithSecret(name = 'agent') {
      const r = await postJson(`${cloud.url}/api/v1/admin/agents`, { name }, adminHeaders)
      return expectOk<{ id: string; secret: string }>(r, 'create agent')
    },
    async createUser(role, username = `${role}-${++users}-${newId().slice(-6)}`) {
      const password = `pw-${newId()}`
      const r = await postJson(`${cloud.url}/api/v1/admin/users`, { username, password, role }, adminHeaders)
      const u = await expectOk<{ id: string; username: string }>(r, 'create user')
      return { id: u.id, username: u.username, password }
    },
    async loginAgent(id, secret) {
      return expectOk<TokenPair>(await postJson(`${cloud.url}/api/v1/auth/login`, { agent_id: id, secret }), 'agent login')
    },
    async loginUser(username, password) {
      return expectOk<TokenPair>(await postJson(`${cloud.url}/api/v1/auth/user-login`, { username, password }), 'user login')
    },
    bearer: (token) => ({ authorization: `Bearer ${token}` }),
    dropDb: drop,
    async destroy() {
      await cloud.close()
      await drop()
    },
  }
}
