import { afterAll, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { createKefuAgent, createSimDriver, sharedSecret } from '@kefu/agent'
import { startTestCloud, AGENT_SECRET } from '../cloud/src/testing/test-cloud.ts'

const dir = mkdtempSync(join(tmpdir(), 'kefu-hb-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('agents report their status to the cloud; supervisors list them and /metrics counts them online', async () => {
  const c = await startTestCloud()
  try {
    const id = await c.createAgent('心跳')
    const driver = createSimDriver()
    const a = createKefuAgent({ cloudUrl: c.url, agentId: id, credentials: sharedSecret(id, AGENT_SECRET), dataDir: dir, key: randomBytes(32), logger: pino({ level: 'silent' }), driver, heartbeatMs: 200, pollMs: 50 })
    await a.start()
    driver.pushCustomerMessage('客户甲', '你好')
    const supervisor = await c.createUser('supervisor')
    const headers = c.bearer((await c.loginUser(supervisor.username, supervisor.password)).access_token)
    let row: { online: boolean; status: { windowFound: boolean; captured: number; outboxDepth: number } } | undefined
    for (let i = 0; i < 100; i++) {
      const r = (await (await fetch(`${c.url}/api/v1/agents`, { headers })).json()) as { agents: (typeof row & { id: string })[] }
      row = r.agents.find((x) => x!.id === id)
      if (row?.status?.captured === 1) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(row).toMatchObject({ online: true, status: { windowFound: true, captured: 1 } })
    expect(await (await fetch(`${c.url}/metrics`)).text()).toMatch(/^agent_online_count 1$/m)
    // An agent may not read the list; a bad heartbeat is a 400.
    expect((await fetch(`${c.url}/api/v1/agents`, { headers: c.agentHeaders(id) })).status).toBe(403)
    const bad = await fetch(`${c.url}/api/v1/agents/heartbeat`, { method: 'POST', headers: { ...c.agentHeaders(id), 'content-type': 'application/json' }, body: JSON.stringify({ online: 'yes' }) })
    expect(bad.status).toBe(400)
    await a.stop({ checkpoint: false })
  } finally {
    await c.destroy()
  }
})
