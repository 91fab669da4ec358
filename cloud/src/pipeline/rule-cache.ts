/**
 * The published rule set, parsed once and kept until the `rules` table changes (the worker
 * invalidates it from the change log) or `maxAgeMs` passes. No published row, or one that no
 * longer parses, means the defaults: the bot keeps answering with safe rules rather than stopping.
 */
import { defaultRuleSet, parseRuleSet, type RuleSet } from '@kefu/match'
import type { Queryable } from '@kefu/migrations'
import type { Logger } from '../logger.ts'

/** A parsed rule set and where it came from. */
export interface LoadedRules {
  readonly ruleSet: RuleSet
  /** The `rules` row id, or `default`. Reply sources name rules as `<id>:<rule id>`. */
  readonly id: string
  readonly version: number | null
}

/** Options of {@link createRuleCache}. */
export interface RuleCacheOptions {
  readonly db: Queryable
  readonly logger: Logger
  /** Reload at least this often even without a change notice; default 60 s. */
  readonly maxAgeMs?: number
  readonly now?: () => number
}

/** The cached rule set. */
export interface RuleCache {
  get(): Promise<LoadedRules>
  /** Forget the cached set; the next `get` reloads. */
  invalidate(): void
}

const DEFAULTS: LoadedRules = { ruleSet: defaultRuleSet(), id: 'default', version: null }

/** Creates the cache; nothing is read until the first `get`. */
export function createRuleCache(opts: RuleCacheOptions): RuleCache {
  const log = opts.logger.child({ component: 'rule-cache' })
  const now = opts.now ?? Date.now
  const maxAge = opts.maxAgeMs ?? 60_000
  let cached: LoadedRules | null = null
  let loadedAt = 0
  let generation = 0
  let inflight: Promise<LoadedRules> | null = null

  async function load(): Promise<LoadedRules> {
    const started = generation
    const [row] = await opts.db.query<{ id: string; version: number; body: unknown }>(
      `SELECT id::text AS id, version, body FROM rules WHERE status = 'published'
        ORDER BY version DESC LIMIT 1`,
    )
    let next = DEFAULTS
    if (row) {
      const parsed = parseRuleSet(row.body)
      if (parsed.ok) next = { ruleSet: parsed.ruleSet, id: row.id, version: row.version }
      else
        log.warn(
          { rules_id: row.id, version: row.version, problem: parsed.message },
          'published rule set does not parse; using defaults',
        )
    }
    // An invalidation during the read means the row may already be stale: use it once, keep none.
    if (started === generation) {
      cached = next
      loadedAt = now()
    }
    return next
  }

  return {
    async get() {
      if (cached && now() - loadedAt < maxAge) return cached
      inflight ??= load().finally(() => {
        inflight = null
      })
      return inflight
    },
    invalidate() {
      generation++
      cached = null
    },
  }
}
