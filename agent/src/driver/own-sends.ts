/**
 * The texts the driver sent and has not yet seen come back as a bubble. When a new bubble of
 * ours appears, it is matched against them: a match is our own echo and is never reported;
 * no match means a person typed in WeChat (a takeover).
 *
 * Matching is tolerant (OCR may slip a character). A send still being verified accepts a
 * looser match, since the bubble that appears right after our Enter is almost surely ours.
 */
import { similarity } from './text-normalise.ts'

/** One text we sent into a chat. */
export interface OwnSend {
  chatKey: string
  text: string
  at: number
  matched: boolean
}

/** Options for {@link createOwnSends}. */
export interface OwnSendsOptions {
  now: () => number
  /** How long an unmatched send is remembered, ms. */
  ttlMs?: number
  /** Similarity needed for a match. */
  threshold?: number
  /** Looser similarity for a send younger than `freshMs`. */
  freshThreshold?: number
  freshMs?: number
}

/** The driver's memory of its own sends. */
export interface OwnSends {
  add(chatKey: string, text: string): OwnSend
  remove(send: OwnSend): void
  /** Whether `text`, a new bubble of ours in `chatKey`, is one of our sends (consumes it). */
  claim(chatKey: string, text: string): boolean
  readonly size: number
}

/** Creates an empty memory of own sends. */
export function createOwnSends(opts: OwnSendsOptions): OwnSends {
  const ttl = opts.ttlMs ?? 10 * 60_000
  const threshold = opts.threshold ?? 0.8
  const freshThreshold = opts.freshThreshold ?? 0.5
  const freshMs = opts.freshMs ?? 10_000
  let sends: OwnSend[] = []

  const prune = (): void => {
    const cutoff = opts.now() - ttl
    sends = sends.filter((s) => !s.matched && s.at >= cutoff)
  }

  return {
    add(chatKey, text) {
      prune()
      const send = { chatKey, text, at: opts.now(), matched: false }
      sends.push(send)
      return send
    },
    remove(send) {
      sends = sends.filter((s) => s !== send)
    },
    claim(chatKey, text) {
      prune()
      const t = opts.now()
      let best: OwnSend | null = null
      let bestScore = 0
      for (const s of sends) {
        if (s.chatKey !== chatKey) continue
        const score = similarity(s.text, text)
        const needed = t - s.at <= freshMs ? freshThreshold : threshold
        if (score >= needed && score > bestScore) {
          best = s
          bestScore = score
        }
      }
      if (!best) return false
      best.matched = true
      prune()
      return true
    },
    get size() {
      return sends.length
    },
  }
}
