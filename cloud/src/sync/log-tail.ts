/**
 * The tail of the change log, shared by every shape request and worker of this instance.
 *
 *   commit ──NOTIFY kefu_sync──► refresh() ──► entries (ring, whole transactions) ──► waiters
 *                 (or the fallback poll, so nothing depends on the notification)
 *
 * `head` is the highest sealed LSN read so far. Because LSNs are drawn at commit under one
 * lock, every transaction at or below `head` is committed and visible: the ring never has gaps.
 * Requests behind the ring's start read the log from the database instead.
 */
import type { Db, Queryable } from '@kefu/migrations'
import type { Logger } from '../logger.ts'

export type RowImage = Record<string, string | null>

export interface LogEntry {
  lsn: bigint
  id: bigint
  txid: bigint
  tbl: string
  op: 'insert' | 'update' | 'delete' | 'truncate'
  pk: string | null
  newRow: RowImage | null
  oldRow: RowImage | null
  origin: string | null
}

interface RawEntry {
  lsn: string
  id: string
  txid: string
  tbl: string
  op: LogEntry['op']
  pk: string | null
  new_row: RowImage | null
  old_row: RowImage | null
  origin: string | null
}

const toEntry = (r: RawEntry): LogEntry => ({
  lsn: BigInt(r.lsn),
  id: BigInt(r.id),
  txid: BigInt(r.txid),
  tbl: r.tbl,
  op: r.op,
  pk: r.pk,
  newRow: r.new_row,
  oldRow: r.old_row,
  origin: r.origin,
})

/**
 * Reads whole transactions with lsn in (after, upTo], at most `maxTx` of them, optionally
 * only the changes of one table. Returns the entries, the last LSN fully covered, and whether
 * `maxTx` cut the read short (more is there to read).
 *
 * One statement, so one snapshot and one round trip: the first `maxTx` sealed transactions
 * after `after` (an ordered index scan), each with its changes. When fewer come back, every
 * transaction sealed in that snapshot was read, so the newest of them is covered (or `upTo`).
 */
export async function readLog(
  db: Queryable,
  opts: { after: bigint; upTo?: bigint; table?: string; maxTx?: number },
): Promise<{ entries: LogEntry[]; coveredTo: bigint; more: boolean }> {
  const maxTx = opts.maxTx ?? 2000
  const params: unknown[] = [String(opts.after), maxTx]
  const arg = (v: unknown) => `$${params.push(v)}`
  const upTo = opts.upTo !== undefined ? `AND lsn <= ${arg(String(opts.upTo))}::bigint` : ''
  const table = opts.table !== undefined ? `AND l.tbl = ${arg(opts.table)}` : ''
  const rows = await db.query<Omit<RawEntry, 'id'> & { id: string | null }>(
    `SELECT t.lsn::text AS lsn, l.id::text AS id, t.txid::text AS txid, l.tbl, l.op, l.pk,
            l.new_row, l.old_row, l.origin
       FROM (SELECT lsn, txid FROM sync_tx WHERE lsn > $1::bigint ${upTo}
              ORDER BY lsn LIMIT $2) t
       -- OFFSET 0 keeps the join a nested loop over the transactions read, each looked up in
       -- the txid index, whatever the planner guesses of the range: joined plainly, a guess of
       -- thousands of rows (stale statistics) hash-joins a scan of the whole log, every read.
       LEFT JOIN LATERAL (SELECT * FROM sync_log l WHERE l.txid = t.txid ${table} OFFSET 0) l ON true
      ORDER BY t.lsn, l.id`,
    params,
  )
  let txs = 0
  let last = ''
  const entries: LogEntry[] = []
  for (const r of rows) {
    if (r.lsn !== last) {
      txs++
      last = r.lsn
    }
    if (r.id !== null) entries.push(toEntry(r as RawEntry))
  }
  const more = txs >= maxTx
  const newest = last === '' ? opts.after : BigInt(last)
  const coveredTo = more || opts.upTo === undefined ? newest : opts.upTo
  return { entries, coveredTo: coveredTo > opts.after ? coveredTo : opts.after, more }
}

export interface LogTailOptions {
  db: Db
  logger: Logger
  /** Fallback poll interval when no notification arrives; default 1000 ms. */
  pollMs?: number
  /** How many recent changes stay in memory; default 200 000. */
  ringSize?: number
}

export interface LogTail {
  readonly head: bigint
  /** Changes in the ring with (lsn, id) after `from` and lsn ≤ upTo, or null when `from` is older than the ring. */
  entriesAfter(from: bigint, upTo: bigint): LogEntry[] | null
  /**
   * Resolves when head > lsn (and, with `relevant`, only once a new entry passes it), after
   * `timeoutMs`, or when `signal` aborts. `relevant` keeps hundreds of held shape requests from
   * waking for changes that cannot concern them.
   */
  waitForHeadAbove(
    lsn: bigint,
    timeoutMs: number,
    signal?: AbortSignal,
    relevant?: (e: LogEntry) => boolean,
  ): Promise<void>
  /** Reads new transactions now (single-flight). */
  refresh(): Promise<void>
  /** Resolves once the head has reached `lsn` (refreshing as needed). */
  catchUp(lsn: bigint): Promise<void>
  subscribe(fn: (entries: LogEntry[]) => void): () => void
  start(): Promise<void>
  stop(): Promise<void>
}

export function createLogTail(opts: LogTailOptions): LogTail {
  const log = opts.logger.child({ component: 'log-tail' })
  const ringSize = opts.ringSize ?? 200_000
  let head = 0n
  let ringStart = 0n // the ring holds every change with lsn > ringStart
  let ring: LogEntry[] = []
  const waiters = new Set<{
    lsn: bigint
    done: () => void
    relevant: ((e: LogEntry) => boolean) | undefined
  }>()
  const subscribers = new Set<(e: LogEntry[]) => void>()
  let inflight: Promise<void> | null = null
  let again = false
  let timer: NodeJS.Timeout | null = null
  let unlisten: (() => Promise<void>) | null = null
  let stopped = false

  const wake = (fresh: LogEntry[]) => {
    for (const w of waiters)
      if (head > w.lsn && (!w.relevant || fresh.some((e) => e.lsn > w.lsn && w.relevant!(e)))) {
        waiters.delete(w)
        w.done()
      }
  }

  const readOnce = async () => {
    for (;;) {
      const { entries, coveredTo, more } = await readLog(opts.db, { after: head, maxTx: 5000 })
      if (coveredTo <= head) return
      ring.push(...entries)
      head = coveredTo
      if (ring.length > ringSize) {
        // Trim whole transactions from the front.
        let cut = ring.length - ringSize
        const boundary = ring[cut - 1]!.lsn
        while (cut < ring.length && ring[cut]!.lsn === boundary) cut++
        ringStart = boundary
        ring = ring.slice(cut)
      }
      if (entries.length > 0) for (const s of subscribers) s(entries)
      wake(entries)
      // A commit after this read brings its own notification (and the poll backs it up).
      if (!more) return
    }
  }

  const refresh = (): Promise<void> => {
    if (inflight) {
      again = true
      return inflight
    }
    inflight = (async () => {
      try {
        do {
          again = false
          await readOnce()
        } while (again)
      } catch (err) {
        if (!stopped) log.warn({ err }, 'reading the change log failed; will retry')
      } finally {
        inflight = null
      }
    })()
    return inflight
  }

  return {
    get head() {
      return head
    },
    entriesAfter(from, upTo) {
      if (from < ringStart) return null
      // Binary search for the first entry with lsn > from.
      let lo = 0
      let hi = ring.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (ring[mid]!.lsn > from) hi = mid
        else lo = mid + 1
      }
      const out: LogEntry[] = []
      for (let i = lo; i < ring.length && ring[i]!.lsn <= upTo; i++) out.push(ring[i]!)
      return out
    },
    waitForHeadAbove(lsn, timeoutMs, signal, relevant) {
      if (signal?.aborted) return Promise.resolve()
      if (head > lsn) {
        // Something is already past `lsn`: wake now unless it provably does not concern us.
        const seen = relevant && lsn >= ringStart ? this.entriesAfter(lsn, head) : null
        if (!seen || seen.some(relevant!)) return Promise.resolve()
        lsn = head
      }
      return new Promise<void>((resolve) => {
        const w = {
          relevant,
          lsn,
          done: () => {
            clearTimeout(t)
            signal?.removeEventListener('abort', w.done)
            waiters.delete(w)
            resolve()
          },
        }
        const t = setTimeout(w.done, timeoutMs)
        signal?.addEventListener('abort', w.done, { once: true })
        waiters.add(w)
      })
    },
    refresh,
    async catchUp(lsn) {
      while (head < lsn && !stopped) {
        await refresh()
        if (head < lsn) await new Promise((r) => setTimeout(r, 5))
      }
    },
    subscribe(fn) {
      subscribers.add(fn)
      return () => subscribers.delete(fn)
    },
    async start() {
      const h = await opts.db.query<{ h: string }>(
        `SELECT coalesce(max(lsn), 0)::text AS h FROM sync_tx`,
      )
      head = BigInt(h[0]!.h)
      ringStart = head
      unlisten = await opts.db.listen('kefu_sync', () => void refresh())
      const poll = () => {
        timer = setTimeout(() => {
          void refresh().finally(() => {
            if (!stopped) poll()
          })
        }, opts.pollMs ?? 1000)
      }
      poll()
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      for (const w of waiters) w.done()
      if (unlisten) await unlisten().catch(() => {})
      if (inflight) await inflight
    },
  }
}
