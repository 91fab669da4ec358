/**
 * A clock that runs `speed` times faster than the wall clock, with the sleep that goes with
 * it: ten minutes of customer traffic in thirty seconds. Give both `now` and `sleep` to the
 * agent (and `date` to the sim driver) so that pacing, offline detection, poll and probe
 * intervals and the capture timestamps all live on the same compressed time line.
 */
import { sleep as wallSleep } from '../../agent/src/sync/backoff.ts'

export interface CompressedClock {
  readonly speed: number
  /** Milliseconds on the compressed time line. */
  now(): number
  date(): Date
  /** Sleeps `ms` of compressed time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** Sleeps until the compressed clock reads `t`. */
  until(t: number): Promise<void>
}

export function compressedClock(speed: number, start = Date.now()): CompressedClock {
  const origin = performance.now()
  const now = () => start + (performance.now() - origin) * speed
  return {
    speed,
    now,
    date: () => new Date(now()),
    sleep: (ms, signal) => wallSleep(ms / speed, signal),
    async until(t) {
      while (now() < t) await wallSleep(Math.max(1, (t - now()) / speed))
    },
  }
}
