import { describe, expect, test } from 'vitest'
import { createChatScheduler } from './chat-scheduler.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function recorder(o: { concurrency?: number; maxWaitMs?: number; workMs?: number } = {}) {
  const runs: { chat: string; at: number }[] = []
  let active = 0
  let peak = 0
  const t0 = performance.now()
  const s = createChatScheduler({
    maxWaitMs: o.maxWaitMs ?? 10_000,
    concurrency: o.concurrency ?? 4,
    run: async (chat) => {
      runs.push({ chat, at: performance.now() - t0 })
      peak = Math.max(peak, ++active)
      await sleep(o.workMs ?? 0)
      active--
    },
    onError: () => {},
  })
  return { s, runs, peak: () => peak }
}

describe('chat scheduler', () => {
  test('each fragment slides the window; the chat runs once', async () => {
    const { s, runs } = recorder()
    for (let i = 0; i < 4; i++) {
      s.schedule('a', 60, true)
      await sleep(30)
    }
    await sleep(100)
    expect(runs.map((r) => r.chat)).toEqual(['a'])
    expect(runs[0]!.at).toBeGreaterThanOrEqual(90 + 60 - 5)
  })

  test('a chat that keeps writing still runs once maxWaitMs has passed', async () => {
    const { s, runs } = recorder({ maxWaitMs: 100 })
    for (let i = 0; i < 8; i++) {
      s.schedule('a', 60, true)
      await sleep(25)
    }
    // Without the cap it would wait for the last fragment (~175 ms) plus 60 ms.
    expect(runs.length).toBeGreaterThanOrEqual(1)
    expect(runs[0]!.at).toBeLessThan(200)
    await s.stop()
  })

  test('never two runs of one chat at once, at most `concurrency` chats at once', async () => {
    const { s, runs, peak } = recorder({ concurrency: 2, workMs: 40 })
    for (const c of ['a', 'b', 'c', 'a', 'a']) s.schedule(c, 0, true)
    await sleep(20)
    s.schedule('a', 0, true) // while a runs: once more afterwards
    await sleep(200)
    expect(peak()).toBe(2)
    expect(runs.map((r) => r.chat).sort()).toEqual(['a', 'a', 'b', 'c'])
    const [first, second] = runs.filter((r) => r.chat === 'a')
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(35)
    expect(s.isIdle()).toBe(true)
  })

  test('a retry asked for while running is not cut short by a fragment', async () => {
    const { s, runs } = recorder({ workMs: 20 })
    s.schedule('a', 0, true)
    await sleep(5)
    s.schedule('a', 150, false) // the run's own backoff
    s.schedule('a', 0, true) // a fragment arriving meanwhile
    await sleep(100)
    expect(runs).toHaveLength(1)
    await sleep(120)
    expect(runs).toHaveLength(2)
    expect(runs[1]!.at).toBeGreaterThanOrEqual(150)
  })

  test('stop drops what waits and waits for what runs', async () => {
    const { s, runs } = recorder({ workMs: 50 })
    s.schedule('a', 0, true)
    s.schedule('b', 30, true)
    await sleep(5)
    await s.stop()
    s.schedule('c', 0, true)
    await sleep(60)
    expect(runs.map((r) => r.chat)).toEqual(['a'])
    expect(s.has('b')).toBe(false)
  })
})
