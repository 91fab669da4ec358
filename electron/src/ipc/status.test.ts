import { expect, test } from 'vitest'
import { pino } from 'pino'
import type { StatusView } from '../api.ts'
import { createIpcRouter } from './router.ts'
import { createStatusFeed, statusRoutes } from './status.ts'

const status = (n: number): StatusView => ({
  agentId: 'a',
  online: n % 2 === 0,
  lastContactAt: null,
  replicaUpToDate: false,
  syncLagMs: null,
  outboxDepth: n,
  rejectedChanges: 0,
  windowFound: true,
  lastCaptureAt: null,
  captured: 0,
  sent: 0,
  startedAt: '2024-01-01T00:00:00.000Z',
})

test('kefu:status answers the agent status and takes no argument', async () => {
  const r = createIpcRouter(statusRoutes({ status: () => status(3) }), {
    logger: pino({ level: 'silent' }),
  })
  expect(await r.invoke('kefu:status', undefined)).toEqual({ ok: true, value: status(3) })
  expect(await r.invoke('kefu:status', 'x')).toMatchObject({
    ok: false,
    error: { code: 'invalid' },
  })
})

test('the feed publishes at once, then on every tick, until stopped', () => {
  let tick: (() => void) | null = null
  let cleared = 0
  let n = 0
  const seen: number[] = []
  const feed = createStatusFeed({
    read: () => status(n++),
    publish: (s) => seen.push(s.outboxDepth),
    intervalMs: 1000,
    setInterval: (fn, ms) => {
      expect(ms).toBe(1000)
      tick = fn
      return 1
    },
    clearInterval: () => void cleared++,
  })
  feed.start()
  feed.start() // idempotent
  expect(seen).toEqual([0])
  tick!()
  tick!()
  expect(seen).toEqual([0, 1, 2])
  feed.stop()
  feed.stop()
  expect(cleared).toBe(1)
})
