/**
 * Who is calling. This is the seam where real credentials go: today agents present their id
 * and the shared secret, operators a bearer token; the security work replaces `authenticate`.
 */
import { timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { isUuid, ROLE_PERMISSIONS, type Permission, type Role } from '@kefu/schema'
import { forbidden, unauthorized } from './errors.ts'

export type Principal =
  | { kind: 'agent'; agentId: string }
  | { kind: 'user'; userId: string; role: Role; permissions: readonly Permission[] }

export interface AuthOptions {
  agentSecret?: string | undefined
  adminToken?: string | undefined
  /** Resolves a bearer token to a principal (the security layer plugs in here). */
  verifyToken?: (token: string) => Promise<Principal | null>
}

export type AuthEnv = { Variables: { principal: Principal; requestId: string } }

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Identifies the caller; rejects with 401 when no credentials are valid. */
export function authenticate(opts: AuthOptions): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const auth = c.req.header('authorization')
    let p: Principal | null = null
    if (auth?.startsWith('Bearer ')) {
      const token = auth.slice(7).trim()
      if (opts.adminToken && safeEqual(token, opts.adminToken))
        p = { kind: 'user', userId: 'admin-token', role: 'admin', permissions: ROLE_PERMISSIONS.admin }
      else if (opts.verifyToken) p = await opts.verifyToken(token)
    } else {
      const agentId = c.req.header('x-kefu-agent-id')
      const secret = c.req.header('x-kefu-agent-secret')
      if (agentId && secret && opts.agentSecret && isUuid(agentId) && safeEqual(secret, opts.agentSecret))
        p = { kind: 'agent', agentId: agentId.toLowerCase() }
    }
    if (!p) throw unauthorized()
    c.set('principal', p)
    await next()
  }
}

/** Allows the route only to callers holding `perm`; agents hold `read:message`/`write:message` on their own rows. */
export function requirePermission(perm: Permission): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const p = c.get('principal')
    const ok =
      p.kind === 'user'
        ? p.permissions.includes(perm)
        : perm === 'read:message' || perm === 'write:message'
    if (!ok) throw forbidden(`this needs the ${perm} permission`)
    await next()
  }
}

/** Agent-only routes. */
export const requireAgent: MiddlewareHandler<AuthEnv> = async (c, next) => {
  if (c.get('principal').kind !== 'agent') throw forbidden('only agents may call this')
  await next()
}
