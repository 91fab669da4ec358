/**
 * The agent's health for the window: answered on request (`kefu:status`) and pushed on a timer
 * (`kefu:status-changed`) so the status bar stays live without the window polling.
 */
import { z } from 'zod'
import type { KefuAgent } from '@kefu/agent'
import { Channel, type StatusView } from '../api.ts'
import { route, type Routes } from './router.ts'

/** The status routes of an agent. */
export function statusRoutes(agent: Pick<KefuAgent, 'status'>): Routes {
  return {
    [Channel.status]: route(z.undefined(), async (): Promise<StatusView> => agent.status()),
  }
}

export interface StatusFeedOptions {
  read: () => StatusView
  publish: (status: StatusView) => void
  /** Default 1000 ms: the status bar shows seconds. */
  intervalMs?: number
  setInterval?: (fn: () => void, ms: number) => unknown
  clearInterval?: (handle: unknown) => void
}

export interface StatusFeed {
  /** Publishes now, then every interval. */
  start(): void
  stop(): void
}

export const defaultStatusIntervalMs = 1000

/** Publishes the agent status periodically (every tick: sync lag and ages move on their own). */
export function createStatusFeed(o: StatusFeedOptions): StatusFeed {
  const every = o.setInterval ?? ((fn, ms) => setInterval(fn, ms))
  const cancel = o.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>))
  let handle: unknown = null
  const tick = () => o.publish(o.read())
  return {
    start() {
      if (handle !== null) return
      tick()
      handle = every(tick, o.intervalMs ?? defaultStatusIntervalMs)
    },
    stop() {
      if (handle === null) return
      cancel(handle)
      handle = null
    },
  }
}
