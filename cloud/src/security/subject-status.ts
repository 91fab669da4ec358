/**
 * Whether a token's subject and family are still good, checked on every request with a short
 * cache (a JWT alone stays valid until it expires). Disabling an agent, a user, or revoking a
 * family therefore takes effect:
 *   - at once on this instance: `cut()` drops the cache entry and aborts the subject's in-flight
 *     requests (a live shape request held for 20 s ends immediately);
 *   - within `ttlMs` (+ one long-poll) on the other instances, well inside one token lifetime.
 */
import type { Queryable } from '@kefu/migrations'
import { isUuid, type Role } from '@kefu/schema'

/** Cache keys: `agent:<id>`, `user:<id>`, `family:<id>`. */
export type StatusKey = `${'agent' | 'user' | 'family'}:${string}`

export interface SubjectStatusOptions {
  db: Queryable
  /** How long an answer is reused; default 5 s. */
  ttlMs?: number
  /** Most cached answers; default 20 000. */
  maxEntries?: number
  now?: () => number
}

export interface SubjectStatus {
  /** Whether the agent exists and is enabled. */
  agentActive(id: string): Promise<boolean>
  /** The user's current role, or null when disabled or gone. */
  userRole(id: string): Promise<Role | null>
  /** Whether the token family was revoked (logout, refresh reuse, disable). */
  familyRevoked(id: string): Promise<boolean>
  /** Forgets `keys` and aborts the requests tracking any of them. */
  cut(keys: readonly StatusKey[]): void
  /** A signal that aborts when one of `keys` is cut; `release()` when the request is over. */
  track(keys: readonly StatusKey[]): { signal: AbortSignal; release(): void }
}

export const defaultSubjectStatusOptions = { ttlMs: 5_000, maxEntries: 20_000 } as const

export function createSubjectStatus(o: SubjectStatusOptions): SubjectStatus {
  const ttl = o.ttlMs ?? defaultSubjectStatusOptions.ttlMs
  const max = o.maxEntries ?? defaultSubjectStatusOptions.maxEntries
  const now = o.now ?? Date.now
  const cache = new Map<StatusKey, { at: number; value: Promise<unknown> }>()
  const inflight = new Map<StatusKey, Set<AbortController>>()

  function cached<T>(key: StatusKey, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key)
    if (hit && now() - hit.at < ttl) return hit.value as Promise<T>
    if (cache.size >= max) cache.delete(cache.keys().next().value!)
    const value = load()
    cache.set(key, { at: now(), value })
    // A failed lookup must not be cached: the next request asks again.
    value.catch(() => cache.delete(key))
    return value
  }

  return {
    agentActive(id) {
      if (!isUuid(id)) return Promise.resolve(false)
      return cached(`agent:${id}`, async () => {
        const r = await o.db.query<{ disabled: boolean }>(
          `SELECT disabled FROM agents WHERE id = $1::uuid`,
          [id],
        )
        return r[0] !== undefined && !r[0].disabled
      })
    },
    userRole(id) {
      if (!isUuid(id)) return Promise.resolve(null)
      return cached(`user:${id}`, async () => {
        const r = await o.db.query<{ disabled: boolean; role: Role }>(
          `SELECT disabled, role FROM users WHERE id = $1::uuid`,
          [id],
        )
        return r[0] && !r[0].disabled ? r[0].role : null
      })
    },
    familyRevoked(id) {
      if (!isUuid(id)) return Promise.resolve(true)
      return cached(`family:${id}`, async () => {
        const r = await o.db.query<{ revoked: boolean }>(
          `SELECT revoked_at IS NOT NULL AS revoked FROM auth_families WHERE id = $1::uuid`,
          [id],
        )
        return r[0] === undefined || r[0].revoked
      })
    },
    cut(keys) {
      for (const k of keys) {
        cache.delete(k)
        const set = inflight.get(k)
        if (!set) continue
        inflight.delete(k)
        for (const ac of set) ac.abort(new Error(`${k} was revoked`))
      }
    },
    track(keys) {
      const ac = new AbortController()
      for (const k of keys) {
        let set = inflight.get(k)
        if (!set) inflight.set(k, (set = new Set()))
        set.add(ac)
      }
      return {
        signal: ac.signal,
        release() {
          for (const k of keys) {
            const set = inflight.get(k)
            if (!set) continue
            set.delete(ac)
            if (set.size === 0) inflight.delete(k)
          }
        },
      }
    },
  }
}
