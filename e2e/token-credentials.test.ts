import { afterAll, beforeAll, expect, test } from 'vitest'
import { pino } from 'pino'
import { startTestCloud, type TestCloud } from '../cloud/src/testing/test-cloud.ts'
import { tokenCredentials } from '../agent/src/core/token-credentials.ts'

let c: TestCloud
beforeAll(async () => {
  c = await startTestCloud()
})
afterAll(async () => c.destroy())

const logger = pino({ level: 'silent' })

test('logs in, refreshes before expiry with rotation, and logs in again when the refresh is refused', async () => {
  const a = await c.createAgentWithSecret('tok')
  let t = Date.now()
  const creds = tokenCredentials({ cloudUrl: c.url, agentId: a.id, secret: a.secret, logger, now: () => t })
  const h1 = await creds.headers()
  expect(h1['authorization']).toMatch(/^Bearer ey/)
  const first = creds.tokens()!
  expect((await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: h1 })).status).toBe(200)
  // Near expiry: the next request refreshes (a new refresh token: rotation).
  t = first.expiresAt - 30_000
  const h2 = await creds.headers()
  expect(h2['authorization']).not.toBe(h1['authorization'])
  expect(creds.tokens()!.refresh).not.toBe(first.refresh)
  // Concurrent renewals are one refresh, not a reuse that would revoke the login.
  const results = await Promise.all([creds.refresh(), creds.refresh(), creds.refresh()])
  expect(results).toEqual([true, true, true])
  expect((await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: await creds.headers() })).status).toBe(200)
})

test('a wrong secret never yields a token', async () => {
  const a = await c.createAgentWithSecret('bad')
  const creds = tokenCredentials({ cloudUrl: c.url, agentId: a.id, secret: 'wrong-secret-wrong-secret', logger })
  expect(await creds.refresh()).toBe(false)
  expect((await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: await creds.headers() })).status).toBe(401)
})
