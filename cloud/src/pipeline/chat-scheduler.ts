/**
 * When to work on which conversation: a debounce timer per chat, a queue of chats that are
 * due, and at most `concurrency` of them in progress — never the same chat twice at once.
 *
 *   schedule(chat) ──▶ due (timer) ──▶ ready (queue) ──▶ running ──▶ done
 *          ▲  fragment: the timer slides,                     │ scheduled again while
 *          │  up to maxWaitMs after the first                 │ running (a fragment, a
 *          └──────────────────────────── rerun ◀──────────────┘ retry): at the latest time asked
 */

/** Options of {@link createChatScheduler}. */
export interface ChatSchedulerOptions {
  /** The longest a chat waits after its first pending fragment. */
  readonly maxWaitMs: number
  readonly concurrency: number
  /** The work; its failures are the caller's to handle (a rejection is passed to `onError`). */
  readonly run: (chat: string) => Promise<void>
  readonly onError: (err: unknown, chat: string) => void
  readonly now?: () => number
}

/** The scheduler. */
export interface ChatScheduler {
  /**
   * Arranges for `chat` to run in `delayMs`. A new `fragment` slides the chat's window; any
   * other call only ever brings an existing timer forward.
   */
  schedule(chat: string, delayMs: number, fragment: boolean): void
  /** Whether `chat` is waiting, queued or running. */
  has(chat: string): boolean
  /** Nothing waiting, queued or running. */
  isIdle(): boolean
  /** Drops what waits and resolves once what runs has finished. */
  stop(): Promise<void>
}

/** Creates a scheduler. */
export function createChatScheduler(o: ChatSchedulerOptions): ChatScheduler {
  const now = o.now ?? (() => performance.now())
  const due = new Map<string, { firstAt: number; at: number; timer: NodeJS.Timeout }>()
  const ready: string[] = []
  const queued = new Set<string>()
  const running = new Map<string, Promise<void>>()
  /** Chats asked for while running → when to run them again. */
  const rerun = new Map<string, number>()
  let stopped = false

  function schedule(chat: string, delayMs: number, fragment: boolean): void {
    if (stopped) return
    const t = now()
    if (running.has(chat)) {
      // The latest wins: a retry's backoff is not cut short by a fragment, nor the reverse.
      rerun.set(chat, Math.max(rerun.get(chat) ?? 0, t + Math.max(0, delayMs)))
      return
    }
    if (queued.has(chat)) return
    const cur = due.get(chat)
    const firstAt = cur?.firstAt ?? t
    let at = t + Math.max(0, delayMs)
    if (fragment) at = Math.min(at, firstAt + o.maxWaitMs)
    else if (cur && cur.at <= at) return
    if (cur) clearTimeout(cur.timer)
    if (at <= t) {
      due.delete(chat)
      enqueue(chat)
      return
    }
    const timer = setTimeout(() => {
      due.delete(chat)
      enqueue(chat)
    }, at - t)
    due.set(chat, { firstAt, at, timer })
  }

  function enqueue(chat: string): void {
    if (stopped) return
    if (running.has(chat)) rerun.set(chat, Math.max(rerun.get(chat) ?? 0, now()))
    else if (!queued.has(chat)) {
      queued.add(chat)
      ready.push(chat)
    }
    pump()
  }

  function pump(): void {
    while (!stopped && running.size < o.concurrency && ready.length > 0) {
      const chat = ready.shift()!
      queued.delete(chat)
      const p = o
        .run(chat)
        .catch((err: unknown) => o.onError(err, chat))
        .finally(() => {
          running.delete(chat)
          const again = rerun.get(chat)
          if (again !== undefined) {
            rerun.delete(chat)
            schedule(chat, again - now(), false)
          }
          pump()
        })
      running.set(chat, p)
    }
  }

  return {
    schedule,
    has: (chat) => due.has(chat) || queued.has(chat) || running.has(chat),
    isIdle: () => due.size === 0 && ready.length === 0 && running.size === 0,
    async stop() {
      stopped = true
      for (const d of due.values()) clearTimeout(d.timer)
      due.clear()
      ready.length = 0
      queued.clear()
      await Promise.allSettled([...running.values()])
    },
  }
}
