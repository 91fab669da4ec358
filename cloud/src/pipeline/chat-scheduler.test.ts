import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createChatScheduler } from './chat-scheduler.ts'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms)

function recorder(o: { concurrency?: number; maxWaitMs?: number; workMs?: number } = {}) {
  const runs: { chat: string; at: number }[] = []
  let active = 0
  let peak = 0
  const t0 = Date.now()
  const s = createChatScheduler({
    maxWaitMs: o.maxWaitMs ?? 10_000,
    concurrency: o.concurrency ?? 4,
    now: () => Date.now(),
    run: async (chat) => {
      runs.push({ chat, at: Date.now() - t0 })
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
      await advance(30)
    }
    expect(runs).toEqual([])
    await advance(100)
    expect(runs).toEqual([{ chat: 'a', at: 90 + 60 }])
  })

  test('a chat that keeps writing still runs once maxWaitMs has passed', async () => {
    const { s, runs } = recorder({ maxWaitMs: 100 })
    for (let i = 0; i < 8; i++) {
      s.schedule('a', 60, true)
      await advance(25)
    }
    expect(runs[0]).toEqual({ chat: 'a', at: 100 })
    await s.stop()
  })

  test('never two runs of one chat at once, at most `concurrency` chats at once', async () => {
    const { s, runs, peak } = recorder({ concurrency: 2, workMs: 40 })
    for (const c of ['a', 'b', 'c', 'a', 'a']) s.schedule(c, 0, true)
    await advance(20)
    s.schedule('a', 0, true) // while a runs: once more afterwards
    await advance(200)
    expect(peak()).toBe(2)
    expect(runs).toEqual([
      { chat: 'a', at: 0 },
      { chat: 'b', at: 0 },
      { chat: 'c', at: 40 },
      { chat: 'a', at: 40 },
    ])
    expect(s.isIdle()).toBe(true)
  })

  test('a retry asked for while running is not cut short by a fragment', async () => {
    const { s, runs } = recorder({ workMs: 20 })
    s.schedule('a', 0, true)
    await advance(5)
    s.schedule('a', 150, false) // the run's own backoff
    s.schedule('a', 0, true) // a fragment arriving meanwhile
    await advance(100)
    expect(runs).toHaveLength(1)
    await advance(100)
    expect(runs).toEqual([
      { chat: 'a', at: 0 },
      { chat: 'a', at: 155 },
    ])
  })

  test('stop drops what waits and waits for what runs', async () => {
    const { s, runs } = recorder({ workMs: 50 })
    s.schedule('a', 0, true)
    s.schedule('b', 30, true)
    await advance(5)
    const stopped = s.stop()
    s.schedule('c', 0, true)
    await advance(60)
    await stopped
    expect(runs.map((r) => r.chat)).toEqual(['a'])
    expect(s.has('b')).toBe(false)
  })
})
