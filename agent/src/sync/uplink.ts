/**
 * The uplink drains the journal's outbox to `POST /api/v1/changes`, oldest first, in batches.
 *
 *   idle ──wake/timer──► push batch ──200──► ack ──► (more? push : idle)
 *                             ├─ 401 ──► refresh credentials ──► retry
 *                             ├─ 4xx naming changes[i] ──► quarantine that change ──► retry rest
 *                             └─ 5xx / 429 / network ──► backoff (Retry-After floor) ──► retry
 *
 * Nothing is ever dropped: a change leaves the outbox only when the cloud acknowledges it
 * (applied or duplicate), or is quarantined as rejected and kept for a person to look at.
 */
import type { Logger } from 'pino'
import type { Change, ChangeBatchResult, ChangeResult } from '@kefu/schema'
import type { Journal } from '../store/journal.ts'
import { abortable, backoffDelay, isRetryableStatus, retryAfterMs, sleep, type BackoffOptions } from './backoff.ts'

/** A change the cloud accepted, with what it said of it. */
export interface PushOutcome {
  readonly change: Change
  readonly result: ChangeResult | undefined
}

export interface UplinkOptions {
  journal: Journal
  url: string
  headers: () => Promise<Record<string, string>>
  /** Called on 401; resolve true when new credentials were obtained. */
  onUnauthorized?: () => Promise<boolean>
  /** Called with each pushed change and the cloud's result for it (to reconcile duplicates). */
  onResults?: (outcomes: PushOutcome[]) => Promise<void>
  onOnline?: (online: boolean) => void
  fetch?: typeof fetch
  logger: Logger
  batchSize?: number
  backoff?: BackoffOptions
  /** Poll interval when idle; default 2 s (a wake() pushes immediately). */
  idleMs?: number
  requestTimeoutMs?: number
}

export interface Uplink {
  run(): Promise<void>
  stop(): Promise<void>
  wake(): void
  readonly online: boolean
  readonly lastPushAt: Date | null
  /** Resolves once the outbox is empty (tests, shutdown). */
  drained(timeoutMs?: number): Promise<boolean>
}

export function createUplink(o: UplinkOptions): Uplink {
  const log = o.logger.child({ component: 'uplink' })
  const doFetch = o.fetch ?? fetch
  const stop = new AbortController()
  let wakeUp: (() => void) | null = null
  let online = false
  let lastPushAt: Date | null = null
  let attempt = 0
  const setOnline = (v: boolean) => {
    if (v !== online) {
      online = v
      o.onOnline?.(v)
      log.info({ online: v }, v ? 'cloud reachable' : 'cloud unreachable; changes stay queued')
    }
  }

  const waitIdle = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        stop.signal.removeEventListener('abort', done)
        wakeUp = null
        resolve()
      }
      wakeUp = done
      stop.signal.addEventListener('abort', done, { once: true })
    })

  /** One push; returns the delay before the next attempt (0 = go on). */
  async function pushOnce(): Promise<number | 'idle'> {
    const batch = o.journal.pending(o.batchSize ?? 200)
    if (batch.length === 0) return 'idle'
    let res: Response
    try {
      res = await doFetch(`${o.url}/api/v1/changes`, {
        method: 'POST',
        headers: { ...(await abortable(o.headers(), stop.signal)), 'content-type': 'application/json' },
        body: JSON.stringify({ changes: batch.map((e) => e.change) }),
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(o.requestTimeoutMs ?? 15_000)]),
      })
    } catch (err) {
      if (stop.signal.aborted) return 0
      setOnline(false)
      log.debug({ err: (err as Error).message }, 'push failed')
      return backoffDelay(attempt++, o.backoff)
    }
    if (res.ok) {
      const body = (await res.json()) as ChangeBatchResult
      o.journal.markAcked(batch.map((e) => e.seq))
      attempt = 0
      lastPushAt = new Date()
      setOnline(true)
      if (o.onResults) {
        const byId = new Map(body.results.map((r) => [r.id, r]))
        await o.onResults(batch.map((e) => ({ change: e.change, result: byId.get(e.change.id) })))
      }
      return 0
    }
    const text = await res.text()
    if (res.status === 401 && o.onUnauthorized && (await o.onUnauthorized())) return 0
    if (isRetryableStatus(res.status) || res.status === 401) {
      setOnline(res.status !== 503 && res.status < 500)
      return backoffDelay(attempt++, o.backoff, retryAfterMs(res.headers.get('retry-after')))
    }
    // A 4xx is about the batch's content. Quarantine the change it names and go on with the
    // rest; if it names none, quarantine the first (so one bad change cannot block the queue).
    setOnline(true)
    const m = /changes\[(\d+)\]/.exec(text)
    const idx = m ? Math.min(Number(m[1]), batch.length - 1) : 0
    const bad = batch[idx]!
    o.journal.markRejected(bad.seq, `${res.status}: ${text.slice(0, 300)}`)
    log.warn({ seq: bad.seq, kind: bad.change.kind, status: res.status }, 'cloud rejected a change; quarantined')
    return 0
  }

  return {
    get online() {
      return online
    },
    get lastPushAt() {
      return lastPushAt
    },
    wake() {
      wakeUp?.()
    },
    async run() {
      while (!stop.signal.aborted) {
        const next = await pushOnce()
        if (next === 'idle') await waitIdle(o.idleMs ?? 2000)
        // A backoff is cut short by wake(): the agent wakes us when the cloud answers again.
        else if (next > 0) await waitIdle(next)
      }
    },
    async stop() {
      stop.abort()
      wakeUp?.()
    },
    async drained(timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs
      while (Date.now() < end) {
        if (o.journal.depth() === 0) return true
        await sleep(20)
      }
      return o.journal.depth() === 0
    },
  }
}
