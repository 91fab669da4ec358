/**
 * The cloud's security services, built once per app: password hashing, tokens, live subject
 * checks, rate limits, client addresses and the audit trail. Routes and the guard take this
 * one object.
 */
import { randomBytes } from 'node:crypto'
import type { Context } from 'hono'
import type { Db, Queryable } from '@kefu/migrations'
import { ROLE_PERMISSIONS } from '@kefu/schema'
import type { AuthOptions, Principal } from '../http/auth.ts'
import type { Logger } from '../logger.ts'
import { recordAudit, type AuditEvent } from './audit-log.ts'
import { clientIp } from './client-ip.ts'
import { createPasswordHasher, type PasswordHasher } from './password-hash.ts'
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts'
import { createSubjectStatus, type StatusKey, type SubjectStatus } from './subject-status.ts'
import { createTokenService, MAX_ACCESS_TTL_S, type TokenService } from './token-service.ts'

export interface SecurityOptions {
  db: Db
  logger: Logger
  /** HMAC key for access tokens (≥ 32 characters); a random one per process when unset. */
  jwtSecret?: string | undefined
  accessTtlS?: number
  refreshTtlS?: number
  /** Shared agent secret (dev/demo); the header path is off without it. */
  agentSecret?: string | undefined
  adminToken?: string | undefined
  /** How many reverse proxies of ours stand in front (X-Forwarded-For hops to believe). */
  trustProxyHops?: number
  /** Requests per second each agent and each user may make, and the burst above it. */
  rateLimitPerSec?: number
  rateLimitBurst?: number
  /** Login attempts per minute, per client address and per account. */
  loginPerMin?: number
  /** log2 of scrypt's N for new hashes. */
  passwordHashCost?: number
  /** How long a "still enabled?" answer is reused. */
  statusTtlMs?: number
  now?: () => number
}

export const defaultSecurityOptions = {
  accessTtlS: MAX_ACCESS_TTL_S,
  refreshTtlS: 30 * 24 * 3600,
  trustProxyHops: 0,
  rateLimitPerSec: 20,
  rateLimitBurst: 200,
  loginPerMin: 20,
  passwordHashCost: 15,
  statusTtlMs: 5_000,
} as const

export interface Security {
  readonly db: Db
  readonly tokens: TokenService
  readonly hasher: PasswordHasher
  readonly status: SubjectStatus
  readonly limits: { principal: RateLimiter; login: RateLimiter; refresh: RateLimiter }
  readonly auth: AuthOptions
  clientIp(c: Context): string | null
  /** Appends an audit event with the request's address (in `tx` when given). */
  audit(c: Context, e: Omit<AuditEvent, 'ip'>, tx?: Queryable): Promise<void>
  /** Cuts a subject (and its token families) everywhere on this instance, at once. */
  cut(keys: readonly StatusKey[]): void
}

export function createSecurity(o: SecurityOptions): Security {
  const d = defaultSecurityOptions
  const log = o.logger.child({ component: 'security' })
  const now = o.now ?? Date.now
  let key: Uint8Array
  if (o.jwtSecret) key = new TextEncoder().encode(o.jwtSecret)
  else {
    key = randomBytes(32)
    log.warn(
      'KEFU_JWT_SECRET is not set: using a random key, so tokens die with this process and other instances reject them',
    )
  }
  const tokens = createTokenService({
    db: o.db,
    secret: key,
    accessTtlS: o.accessTtlS ?? d.accessTtlS,
    refreshTtlS: o.refreshTtlS ?? d.refreshTtlS,
    now,
  })
  const status = createSubjectStatus({ db: o.db, ttlMs: o.statusTtlMs ?? d.statusTtlMs, now })
  const perSec = o.rateLimitPerSec ?? d.rateLimitPerSec
  const loginPerMin = o.loginPerMin ?? d.loginPerMin
  const limits = {
    principal: createRateLimiter({
      capacity: o.rateLimitBurst ?? d.rateLimitBurst,
      ratePerSec: perSec,
      now,
    }),
    login: createRateLimiter({ capacity: loginPerMin, ratePerSec: loginPerMin / 60, now }),
    // Refresh tokens cannot be guessed; this only keeps one address from flooding the database.
    refresh: createRateLimiter({
      capacity: loginPerMin * 3,
      ratePerSec: (loginPerMin * 3) / 60,
      now,
    }),
  }
  const hops = o.trustProxyHops ?? d.trustProxyHops

  const verifyToken = async (token: string): Promise<Principal | null> => {
    const claims = await tokens.verifyAccess(token)
    if (!claims) return null
    if (await status.familyRevoked(claims.familyId)) return null
    const s = claims.subject
    if (s.kind === 'agent') {
      if (!(await status.agentActive(s.id))) return null
      return { kind: 'agent', agentId: s.id, via: 'token', familyId: claims.familyId }
    }
    // The role is read from the database, not the token: a demotion applies within the cache TTL.
    const role = await status.userRole(s.id)
    if (!role) return null
    return {
      kind: 'user',
      userId: s.id,
      role,
      permissions: ROLE_PERMISSIONS[role],
      via: 'token',
      familyId: claims.familyId,
    }
  }

  return {
    db: o.db,
    tokens,
    hasher: createPasswordHasher({ logN: o.passwordHashCost ?? d.passwordHashCost }),
    status,
    limits,
    auth: {
      agentSecret: o.agentSecret,
      adminToken: o.adminToken,
      verifyToken,
      agentActive: (id) => status.agentActive(id),
    },
    clientIp: (c) => clientIp(c, hops),
    async audit(c, e, tx) {
      await recordAudit(tx ?? o.db, { ...e, ip: clientIp(c, hops) })
    },
    cut: (keys) => status.cut(keys),
  }
}

/** The keys whose revocation must end a principal's requests. */
export function statusKeys(p: Principal): StatusKey[] {
  const keys: StatusKey[] = p.kind === 'agent' ? [`agent:${p.agentId}`] : [`user:${p.userId}`]
  if (p.familyId) keys.push(`family:${p.familyId}`)
  return keys
}
