import { afterAll, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import { createKefuAgent, type KefuAgent } from './agent.ts'
import { sharedSecret } from './credentials.ts'
import { createSimDriver } from '../driver/sim-driver.ts'
import { until } from '../../../e2e/support/until.ts'

// The driver returns each bubble once (its contract), so a capture that fails must not lose
// what it was given: retried when nothing was written, never captured twice when it was.
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})


function offlineAgent(dataDir: string, key: Buffer, agentId: string) {
  const driver = createSimDriver()
  const agent = createKefuAgent({
    // Nothing listens on the discard port: the agent runs offline.
    cloudUrl: 'http://127.0.0.1:9',
    agentId,
    credentials: sharedSecret(agentId, 'x'.repeat(24)),
    dataDir,
    key,
    driver,
    logger: pino({ level: 'silent' }),
    pollMs: 20,
    offlineAnswers: false,
  })
  return { agent, driver }
}

const texts = async (a: KefuAgent) =>
  (await a.replica.db.query<{ text: string }>(`SELECT text FROM messages_all ORDER BY captured_at, text`)).map((r) => r.text)
const journaled = (a: KefuAgent) =>
  a.journal.since(0).flatMap((e) => (e.change.kind === 'insert_message' ? [e.change.row.text] : []))

test('a capture that fails before the journal append is captured again: nothing lost, nothing twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-capture-retry-'))
  dirs.push(dir)
  const { agent, driver } = offlineAgent(dir, randomBytes(32), newId())
  await agent.start()
  try {
    const append = agent.journal.append.bind(agent.journal)
    let failures = 2
    agent.journal.append = (...args) => {
      if (failures-- > 0) throw new Error('disk full')
      return append(...args)
    }
    driver.pushCustomerMessage('客户甲', '在吗')
    driver.pushCustomerMessage('客户乙', '发货了吗')
    driver.pushCustomerMessage('客户甲', '怎么退款')
    await until(async () => (await texts(agent)).length >= 3, 10_000, 'the messages to be captured')
    expect(failures).toBeLessThan(0) // both failures happened
    // More bubbles after the failures come after the carried ones, once.
    driver.pushCustomerMessage('客户甲', '谢谢')
    await until(async () => (await texts(agent)).length >= 4, 10_000, 'the fourth message')
    await new Promise((r) => setTimeout(r, 200))
    expect((await texts(agent)).sort()).toEqual(['在吗', '发货了吗', '怎么退款', '谢谢'].sort())
    expect(journaled(agent).sort()).toEqual(['在吗', '发货了吗', '怎么退款', '谢谢'].sort())
    const order = journaled(agent).filter((t) => t !== '发货了吗')
    expect(order).toEqual(['在吗', '怎么退款', '谢谢'])
  } finally {
    await agent.stop({ checkpoint: false })
  }
}, 30_000)

test('a capture journaled but not applied to the replica is not captured again; the restart replays it once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-capture-retry-'))
  dirs.push(dir)
  const key = randomBytes(32)
  const agentId = newId()
  const first = offlineAgent(dir, key, agentId)
  await first.agent.start()
  try {
    const db = first.agent.replica.db
    const transaction = db.transaction.bind(db)
    let failures = 1
    db.transaction = ((fn: Parameters<typeof transaction>[0]) => {
      if (failures-- > 0) return Promise.reject(new Error('replica busy'))
      return transaction(fn)
    }) as typeof db.transaction
    first.driver.pushCustomerMessage('客户丙', '有优惠吗')
    await until(async () => journaled(first.agent).length >= 1, 10_000, 'the journal append')
    first.driver.pushCustomerMessage('客户丙', '好的')
    await until(async () => (await texts(first.agent)).includes('好的'), 10_000, 'the second message')
    await new Promise((r) => setTimeout(r, 200))
    expect(journaled(first.agent)).toEqual(['有优惠吗', '好的'])
  } finally {
    await first.agent.stop({ checkpoint: false })
  }
  const second = offlineAgent(dir, key, agentId)
  await second.agent.start()
  try {
    expect(await texts(second.agent)).toEqual(['有优惠吗', '好的'])
  } finally {
    await second.agent.stop({ checkpoint: false })
  }
}, 30_000)
