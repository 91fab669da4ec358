/**
 * Business hours in the rule set's own time zone. Wall-clock fields come from `Intl`, so the
 * answer is right whatever the host's zone is, and zones with DST work too (Asia/Shanghai has
 * none, but a rule set may name another).
 */
import type { BusinessHours, RuleSet } from './rule-set.ts'

/** Wall-clock reading of an instant in some zone. */
export interface LocalTime {
  /** YYYY-MM-DD. */
  readonly date: string
  /** 0 = Sunday. */
  readonly weekday: number
  /** Minutes since local midnight. */
  readonly minute: number
}

const WEEKDAY: Readonly<Record<string, number>> = {
  Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6,
} // prettier-ignore

// Building a DateTimeFormat is far slower than using one; the reply path asks on every message.
const formats = new Map<string, Intl.DateTimeFormat>()

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
    formats.set(timeZone, f)
  }
  return f
}

/** Reads `now` on the wall clock of `timeZone` (an IANA name). */
export function localTime(now: Date, timeZone: string): LocalTime {
  const p: Record<string, string> = {}
  for (const part of formatFor(timeZone).formatToParts(now)) p[part.type] = part.value
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: WEEKDAY[p.weekday] ?? 0,
    minute: (Number(p.hour) % 24) * 60 + Number(p.minute),
  }
}

function toMinute(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
}

/** The calendar date before `date` (YYYY-MM-DD), computed on the proleptic UTC calendar. */
function previousDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() - 1)
  return d.toISOString().slice(0, 10)
}

/** Whether `hours` has the business open at `now`. */
export function isOpen(hours: BusinessHours, now: Date): boolean {
  const t = localTime(now, hours.timezone)
  const holidays = new Set(hours.holidays)
  const todayClosed = holidays.has(t.date)
  // A window that runs past midnight belongs to the day it opened, holidays included.
  const yesterdayClosed = holidays.has(previousDate(t.date))
  const yesterday = (t.weekday + 6) % 7
  for (const w of hours.days) {
    const open = toMinute(w.open)
    const close = toMinute(w.close)
    const overnight = close <= open
    if (w.day === t.weekday && !todayClosed) {
      if (overnight ? t.minute >= open : t.minute >= open && t.minute < close) return true
    }
    if (overnight && w.day === yesterday && !yesterdayClosed && t.minute < close) return true
  }
  return false
}

/** Whether the rule set's business is open at `now` (holidays closed all day). */
export function isWithinBusinessHours(ruleSet: Pick<RuleSet, 'businessHours'>, now: Date): boolean {
  return isOpen(ruleSet.businessHours, now)
}
