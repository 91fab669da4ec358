/**
 * Sends queued replies through the WeChat driver, one at a time, at a pace WeChat will not
 * ban. Ownership is re-checked right before each send: a chat a person took over gets its bot
 * replies cancelled, never sent.
 *
 *   queued ──ownership ok, paced──► sending (durable) ──driver verified──► sent
 *      │                                   └──────driver failed──────────► failed
 *      └──chat held by a person────────────────────────────────────────► cancelled
 *
 * After a crash, a reply left in `sending` is checked on screen (driver.hasSent) rather than
 * sent again, so a restart never sends the same reply twice.
 */
import type { Logger } from 'pino'
import { newId, type Change } from '@kefu/schema'
import type { Queryable } from '@kefu/migrations'
import type { WeChatDriver } from '../driver/driver.ts'
import { sleep } from '../sync/backoff.ts'
import type { Pacer } from './pacing.ts'

export interface SenderOptions {
  db: Queryable
  driver: WeChatDriver & { hasSent?: (chatKey: string, text: string) => Promise<boolean> }
  pacer: Pacer
  write: (changes: Change[]) => Promise<void>
  logger: Logger
  now: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Look for queued replies this often when not woken; default 2 s (wake() is immediate). */
  idleMs?: number
  onSent?: () => void
}

interface Pending {
  id: string
  chat_key: string
  text: string
  status: string
  origin: string
  state: string
  bot_paused_until: Date | string | null
}

export function createSender(o: SenderOptions) {
  const log = o.logger.child({ component: 'sender' })
  const stop = new AbortController()
  const nap = o.sleep ?? sleep
  let wake: (() => void) | null = null
  let woken = false
  const setStatus = (id: string, set: Extract<Change, { kind: 'update_reply' }>['set']) =>
    o.write([{ id: newId(), kind: 'update_reply', pk: id, set }])

  async function next(): Promise<Pending | null> {
    // The merged view's status is computed, so filtering it scans every reply ever received:
    // a cost per poll that grows with the replica. A reply can only be queued or sending in
    // the view if its own row is queued, sending or failed (an overlay applies only then), and
    // those few rows come from the status indexes.
    const candidates = await o.db.query<{ id: string }>(
      `SELECT id FROM replies WHERE status IN ('queued', 'sending', 'failed')
       UNION ALL SELECT id FROM replies_local WHERE status IN ('queued', 'sending', 'failed')`,
    )
    if (candidates.length === 0) return null
    const rows = await o.db.query<Pending>(
      `SELECT r.id, c.chat_key, r.text, r.status, r.origin, c.state, c.bot_paused_until
         FROM replies_all r JOIN conversations_all c ON c.id = r.conversation_id
        WHERE r.id = ANY($1::uuid[]) AND r.status IN ('queued', 'sending')
        ORDER BY r.status DESC, r.created_at, r.id LIMIT 1`,
      [candidates.map((c) => c.id)],
    )
    return rows[0] ?? null
  }

  async function handle(r: Pending): Promise<void> {
    if (r.status === 'sending') {
      // Interrupted mid-send by a crash: look before sending again.
      if (!o.driver.hasSent) {
        // Without a way to look, sending again could duplicate it: leave it to a person.
        await setStatus(r.id, { status: 'failed', error: 'interrupted while sending; not resent' })
        return
      }
      if (await o.driver.hasSent(r.chat_key, r.text)) {
        await setStatus(r.id, { status: 'sent', sent_at: new Date(o.now()).toISOString() })
        return
      }
      // Verified absent: sending it now is safe.
    }
    const held = r.state === 'waiting_human' || (r.state === 'human' && (!r.bot_paused_until || new Date(r.bot_paused_until).getTime() > o.now()))
    if (held && r.origin !== 'human') {
      await setStatus(r.id, { status: 'cancelled', error: 'the chat is held by a person' })
      log.info({ reply: r.id }, 'reply cancelled: chat held by a person')
      return
    }
    const wait = o.pacer.waitMs(r.chat_key, r.text, o.now())
    if (wait > 0) await nap(wait, stop.signal)
    if (stop.signal.aborted) return
    if (r.status !== 'sending') await setStatus(r.id, { status: 'sending' })
    const res = await o.driver.send(r.chat_key, r.text)
    o.pacer.record(r.chat_key, o.now())
    if (res.ok) {
      await setStatus(r.id, { status: 'sent', sent_at: res.verifiedAt.toISOString() })
      o.onSent?.()
    } else {
      await setStatus(r.id, { status: 'failed', error: res.reason.slice(0, 300) })
      log.warn({ reply: r.id, reason: res.reason }, 'send failed')
    }
  }

  return {
    wake() {
      woken = true
      wake?.()
    },
    async run() {
      while (!stop.signal.aborted) {
        let r: Pending | null = null
        // A wake while looking (not yet napping) must not be lost: look again at once.
        woken = false
        try {
          r = await next()
          if (r) await handle(r)
        } catch (err) {
          log.error({ err }, 'sender step failed')
          await nap(1000, stop.signal)
        }
        if (!r && !woken)
          await new Promise<void>((resolve) => {
            const t = setTimeout(done, o.idleMs ?? 2000)
            function done() {
              clearTimeout(t)
              stop.signal.removeEventListener('abort', done)
              wake = null
              resolve()
            }
            wake = done
            stop.signal.addEventListener('abort', done, { once: true })
          })
      }
    },
    async stop() {
      stop.abort()
      wake?.()
    },
  }
}
