/**
 * Refused credentials never end the replica's subscription: an expired or revoked token (401)
 * is refreshed and the request retried; while the cloud keeps refusing (a disabled agent, a
 * refresh that fails) the shapes back off and retry, and recover once the agent is let in.
 * Neither case may leave an unhandled rejection behind (Node would end the agent process).
 */
import { afterEach, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { createKefuAgent, type AgentCredentials } from '@kefu/agent'
import { startTestCloud, AGENT_SECRET } from '../cloud/src/testing/test-cloud.ts'
import { tokenCredentials } from '../agent/src/core/token-credentials.ts'
import { until } from './support/until.ts'

const logger = pino({ level: 'silent' })
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {})
  cleanups.length = 0
})

/** Credentials that present a stale secret until `refresh()` is allowed to succeed. */
function staleUntilRefreshed(agentId: string, refreshWorks: () => boolean) {
  let valid = false
  let refreshes = 0
  const credentials: AgentCredentials = {
    headers: async () => ({
      'x-kefu-agent-id': agentId,
      'x-kefu-agent-secret': valid ? AGENT_SECRET : 'stale-secret-0123456789',
    }),
    refresh: async () => {
      refreshes++
      valid = refreshWorks()
      return valid
    },
  }
  return { credentials, refreshes: () => refreshes }
}

async function setup(refreshWorks: () => boolean) {
  const c = await startTestCloud({ engine: 'pglite', longPollMs: 1000 })
  cleanups.push(() => c.destroy())
  const agentId = await c.createAgent('auth')
  await c.db.query(
    `INSERT INTO faq (id, question, answer) VALUES ($1::uuid, '发货时间', '48小时内发货')`,
    [newId()],
  )
  const creds = staleUntilRefreshed(agentId, refreshWorks)
  const dataDir = mkdtempSync(join(tmpdir(), 'kefu-auth-'))
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
  const agent = createKefuAgent({
    cloudUrl: c.url,
    agentId,
    credentials: creds.credentials,
    dataDir,
    key: randomBytes(32),
    logger,
  })
  cleanups.push(() => agent.stop({ checkpoint: false }))
  await agent.start()
  return { c, agent, creds }
}

const faqRows = async (agent: { replica: { db: { query<T>(sql: string): Promise<T[]> } } }) =>
  (await agent.replica.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM faq`))[0]!.n

test('a 401 on the shapes refreshes the credentials and the replica syncs', async () => {
  const { agent, creds } = await setup(() => true)
  await until(async () => (await faqRows(agent)) === 1, 20_000, 'faq replicated')
  expect(creds.refreshes()).toBeGreaterThan(0)
  await until(() => agent.status().replicaUpToDate, 20_000, 'replica up to date')
})

test('while the cloud refuses the agent the shapes retry, and catch up once it is let in', async () => {
  let letIn = false
  const { c, agent, creds } = await setup(() => letIn)
  await until(
    () => creds.refreshes() >= 6,
    20_000,
    'several refused attempts (every shape retries)',
  )
  expect(await faqRows(agent)).toBe(0)
  letIn = true
  await c.db.query(
    `INSERT INTO faq (id, question, answer) VALUES ($1::uuid, '退货地址', '请联系客服获取')`,
    [newId()],
  )
  await until(async () => (await faqRows(agent)) === 2, 30_000, 'faq replicated after being let in')
})

test('starting offline does not wait for a login that never completes, nor does stopping', async () => {
  // A cloud that accepts connections and never answers, and a login whose request never ends.
  const sockets = new Set<Socket>()
  const server = createServer((s) => void sockets.add(s)).listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  )
  const cloudUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const agentId = newId()
  let logins = 0
  const credentials = tokenCredentials({
    cloudUrl,
    agentId,
    secret: 'never-checked-0123456789',
    logger,
    fetch: () => {
      logins++
      return new Promise<Response>(() => {})
    },
  })
  const dataDir = mkdtempSync(join(tmpdir(), 'kefu-auth-'))
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }))
  const agent = createKefuAgent({
    cloudUrl,
    agentId,
    credentials,
    dataDir,
    key: randomBytes(32),
    logger,
  })
  await agent.start()
  expect(await agent.replica.db.query(`SELECT count(*)::int AS n FROM messages_all`)).toEqual([
    { n: 0 },
  ])
  expect(agent.status().online).toBe(false)
  await agent.capture([
    {
      chatKey: '张三',
      chatTitle: '张三',
      isGroup: false,
      side: 'customer',
      sender: null,
      text: '在吗',
      seenAt: new Date(),
      seq: 0,
      mentioned: false,
    },
  ])
  await until(() => logins > 0, 10_000, 'a login attempt')
  expect(agent.status().outboxDepth).toBeGreaterThan(0)
  // Everything that talks to the cloud waits on that login, and it never ends; starting,
  // capturing and stopping do not wait for it.
  await agent.stop()
})
