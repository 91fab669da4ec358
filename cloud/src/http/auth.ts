/**
 * Who is calling. Credentials, in order:
 *   - `Authorization: Bearer <KEFU_ADMIN_TOKEN>`: every permission (bootstrap and operations);
 *   - `Authorization: Bearer <access token>`: an agent or a console user (security/token-service.ts);
 *   - `x-kefu-agent-id` + `x-kefu-agent-secret`: the shared-secret path for dev and demo, only
 *     when `KEFU_AGENT_SECRET` is configured.
 * Every principal is re-checked against the database (disabled agents and users, revoked
 * token families) through `AuthOptions`, with a short cache (security/subject-status.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { isUuid, ROLE_PERMISSIONS, type Permission, type Role } from '@kefu/schema'
import { forbidden, unauthorized } from './errors.ts'

export type Principal =
  | { kind: 'agent'; agentId: string; via: 'token' | 'shared-secret'; familyId: string | null }
  | {
      kind: 'user'
      userId: string
      role: Role
      permissions: readonly Permission[]
      via: 'token' | 'admin-token'
      familyId: string | null
    }

export interface AuthOptions {
  agentSecret?: string | undefined
  adminToken?: string | undefined
  /** Resolves a bearer access token to a live principal (or null). */
  verifyToken?: (token: string) => Promise<Principal | null>
  /** Whether an agent presenting the shared secret exists and is enabled. */
  agentActive?: (agentId: string) => Promise<boolean>
}

export type AuthEnv = {
  Variables: {
    principal: Principal
    requestId: string
    /** Aborts when the request ends or its principal is disabled/revoked meanwhile. */
    signal: AbortSignal
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The principal of the admin token. */
export const ADMIN_TOKEN_PRINCIPAL: Principal = {
  kind: 'user',
  userId: 'admin-token',
  role: 'admin',
  permissions: ROLE_PERMISSIONS.admin,
  via: 'admin-token',
  familyId: null,
}

/** Resolves the request's credentials; null when there are none or they are not valid. */
export async function identify(c: Context, opts: AuthOptions): Promise<Principal | null> {
  const auth = c.req.header('authorization')
  if (auth !== undefined) {
    const m = /^Bearer +(\S{1,8192})\s*$/i.exec(auth)
    if (!m) return null
    const token = m[1]!
    if (opts.adminToken && safeEqual(token, opts.adminToken)) return ADMIN_TOKEN_PRINCIPAL
    return opts.verifyToken ? opts.verifyToken(token) : null
  }
  const agentId = c.req.header('x-kefu-agent-id')
  const secret = c.req.header('x-kefu-agent-secret')
  if (
    !agentId ||
    !secret ||
    !opts.agentSecret ||
    !isUuid(agentId) ||
    !safeEqual(secret, opts.agentSecret)
  )
    return null
  const id = agentId.toLowerCase()
  if (opts.agentActive && !(await opts.agentActive(id))) return null
  return { kind: 'agent', agentId: id, via: 'shared-secret', familyId: null }
}

/** Whether `p` holds `perm`. Agents hold `read:message`/`write:message`, on their own rows only. */
export function hasPermission(p: Principal, perm: Permission): boolean {
  return p.kind === 'user'
    ? p.permissions.includes(perm)
    : perm === 'read:message' || perm === 'write:message'
}

/** Identifies the caller; rejects with 401 when no credentials are valid. */
export function authenticate(opts: AuthOptions): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const p = await identify(c, opts)
    if (!p) throw unauthorized()
    c.set('principal', p)
    await next()
  }
}

/** Allows the route only to callers holding `perm`. */
export function requirePermission(perm: Permission): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    if (!hasPermission(c.get('principal'), perm))
      throw forbidden(`this needs the ${perm} permission`)
    await next()
  }
}

/** Agent-only routes. */
export const requireAgent: MiddlewareHandler<AuthEnv> = async (c, next) => {
  if (c.get('principal').kind !== 'agent') throw forbidden('only agents may call this')
  await next()
}
