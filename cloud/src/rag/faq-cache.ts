/**
 * The published FAQ, held in memory as an `@kefu/match` matcher for the fast path and the
 * reranker. It is rebuilt when the FAQ changes: at most every `checkEveryMs` a cheap probe
 * hashes every published entry's id and content in the database, and a different hash
 * reloads the rows. Edits from any writer (console, import, another cloud instance) are seen
 * within that window; `refresh()` forces a reload now.
 */
import type { Logger } from 'pino'
import { createFaqMatcher, type FaqMatcher, type FaqMatcherOptions } from '@kefu/match'
import type { Queryable } from '@kefu/migrations'
import { silentLogger } from '../logger.ts'

/** A published FAQ entry as the matcher holds it. */
export interface PublishedFaq {
  readonly id: string
  readonly question: string
  readonly answer: string
  readonly variants: readonly string[]
  readonly tags: readonly string[]
}

/** Options for {@link createFaqCache}. */
export interface FaqCacheOptions {
  readonly db: Queryable
  /** How stale the matcher may be before the next probe; default 5 s. */
  readonly checkEveryMs?: number
  readonly matcher?: FaqMatcherOptions
  readonly now?: () => number
  readonly logger?: Logger
}

/** A self-refreshing FAQ matcher. */
export interface FaqCache {
  /** The current matcher, probing for changes first when the last probe is old. */
  get(): Promise<FaqMatcher<PublishedFaq>>
  /** Reloads the published FAQ now. */
  refresh(): Promise<void>
}

const VERSION_SQL = `
  SELECT md5(coalesce(string_agg(id::text || ':' || md5(question || chr(31) || answer || chr(31)
    || array_to_string(variants, chr(31)) || chr(31) || array_to_string(tags, chr(31))),
    ',' ORDER BY id), '')) AS v
  FROM faq WHERE published`

/** Creates the cache; nothing is loaded until first use. */
export function createFaqCache(opts: FaqCacheOptions): FaqCache {
  const { db } = opts
  const now = opts.now ?? Date.now
  const every = opts.checkEveryMs ?? 5_000
  const log = (opts.logger ?? silentLogger()).child({ component: 'faq-cache' })
  let matcher: FaqMatcher<PublishedFaq> | null = null
  let version: string | null = null
  let checkedAt = -Infinity
  let inflight: Promise<FaqMatcher<PublishedFaq>> | null = null

  async function probe(): Promise<string> {
    const [row] = await db.query<{ v: string }>(VERSION_SQL)
    return row?.v ?? ''
  }

  async function load(v: string): Promise<FaqMatcher<PublishedFaq>> {
    const rows = await db.query<PublishedFaq & Record<string, unknown>>(
      `SELECT id, question, answer, variants, tags FROM faq WHERE published ORDER BY id`,
    )
    matcher = createFaqMatcher(rows, opts.matcher ?? {})
    version = v
    log.info({ entries: matcher.size }, 'faq matcher loaded')
    return matcher
  }

  // One probe or reload at a time; concurrent callers share it.
  function once(fn: () => Promise<FaqMatcher<PublishedFaq>>): Promise<FaqMatcher<PublishedFaq>> {
    inflight ??= fn().finally(() => {
      inflight = null
    })
    return inflight
  }

  return {
    async get() {
      if (matcher && now() - checkedAt < every) return matcher
      return once(async () => {
        const v = await probe()
        checkedAt = now()
        return matcher && v === version ? matcher : load(v)
      })
    },
    async refresh() {
      // A probe already running may have read the database before the change being waited
      // for; let it finish, then reload regardless.
      await inflight?.catch(() => {})
      await once(async () => {
        const v = await probe()
        checkedAt = now()
        return load(v)
      })
    },
  }
}
