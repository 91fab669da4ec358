/**
 * Customer grades for the reply pipeline. The grade is computed in memory on the critical path
 * (pure and cheap: the VIP hand-off and the prompt need it now) and written to
 * `customers.grade` off it: changes are collected and flushed in one transaction every
 * `flushMs`, and only rows whose grade changed (or whose `last_seen_at` is over an hour old)
 * are written, so a chatty customer does not turn every message into a synced row update.
 */
import type { Db } from '@kefu/migrations'
import { Grade } from '@kefu/schema'
import type { Logger } from '../logger.ts'
import { gradeCustomer, type CustomerProfile, type GradeRules } from './customer-grade.ts'

/** The `customers` columns grading reads. */
export interface CustomerRowForGrade {
  readonly spend: string | number | null
  readonly messageCount: number
  readonly firstSeenMs: number
  readonly lastSeenMs: number
  readonly tags: readonly string[]
}

/** The profile of a customer who is writing to us now. */
export function profileOf(row: CustomerRowForGrade, now: Date): CustomerProfile {
  const spend = Number(row.spend ?? 0)
  return {
    spend: Number.isFinite(spend) ? spend : 0,
    messageCount: row.messageCount,
    firstSeenAt: new Date(row.firstSeenMs),
    // They are messaging right now: never dormant, whatever the stored column says.
    lastSeenAt: new Date(Math.max(row.lastSeenMs, now.getTime())),
    tags: row.tags,
  }
}

/** Grades a customer row at `now`. */
export function gradeOf(row: CustomerRowForGrade, rules: GradeRules, now: Date): Grade {
  return gradeCustomer(profileOf(row, now), rules, now).grade
}

/** Collects grade changes and writes them in the background. */
export interface CustomerGrader {
  /** Records that `customerId` wrote at `seenAt` and now grades `grade`. */
  note(customerId: string, grade: Grade, seenAt: Date): void
  /** Writes what has been collected. */
  flush(): Promise<void>
  /** Flushes and stops the timer. */
  stop(): Promise<void>
}

/** Options of {@link createCustomerGrader}. */
export interface CustomerGraderOptions {
  readonly db: Db
  readonly logger: Logger
  /** Written to `kefu.origin`. */
  readonly origin: string
  /** How often collected grades are written; default 1000 ms. */
  readonly flushMs?: number
}

/** Creates the background grade writer. */
export function createCustomerGrader(opts: CustomerGraderOptions): CustomerGrader {
  const log = opts.logger.child({ component: 'customer-grader' })
  let pending = new Map<string, { grade: Grade; seen: string }>()
  let timer: NodeJS.Timeout | null = null
  let flushing: Promise<void> = Promise.resolve()
  let stopped = false

  async function write(batch: Map<string, { grade: Grade; seen: string }>): Promise<void> {
    const rows = [...batch].map(([id, v]) => ({ id, grade: v.grade, seen: v.seen }))
    try {
      await opts.db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [opts.origin])
        await tx.query(
          `UPDATE customers c
              SET grade = x.grade, last_seen_at = greatest(c.last_seen_at, x.seen)
             FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, grade text, seen timestamptz)
            WHERE c.id = x.id
              AND (c.grade IS DISTINCT FROM x.grade OR c.last_seen_at < x.seen - interval '1 hour')`,
          [JSON.stringify(rows)],
        )
      })
    } catch (err) {
      // Grades are recomputed on the next message; losing one write costs nothing lasting.
      log.warn({ err, customers: rows.length }, 'writing customer grades failed')
    }
  }

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer)
    timer = null
    if (pending.size === 0) return flushing
    const batch = pending
    pending = new Map()
    flushing = flushing.then(() => write(batch))
    return flushing
  }

  return {
    note(customerId, grade, seenAt) {
      if (!Grade.includes(grade)) return
      pending.set(customerId, { grade, seen: seenAt.toISOString() })
      if (!timer && !stopped) timer = setTimeout(() => void flush(), opts.flushMs ?? 1000)
    },
    flush,
    async stop() {
      stopped = true
      await flush()
    },
  }
}
