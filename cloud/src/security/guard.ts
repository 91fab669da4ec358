/**
 * The middleware every route gets from its `RouteSpec`:
 *
 *   public ──► per-address limit (login/refresh routes) ──► handler
 *   permission ──► identify (401) ──► per-principal limit (429) ──► callers + permission (403)
 *              ──► handler, with `c.var.signal` aborting if the principal is cut meanwhile (401)
 */
import type { Context, MiddlewareHandler } from 'hono'
import { hasPermission, identify, type AuthEnv, type Principal } from '../http/auth.ts'
import { forbidden, rateLimited, unauthorized } from '../http/errors.ts'
import { ROUTES, findRoute, type RouteSpec } from './route-table.ts'
import { statusKeys, type Security } from './security.ts'

const guards = new WeakSet<object>()

/** Whether `handler` is a guard made by `createGuard` (the route-table test looks for them). */
export function isGuard(handler: unknown): boolean {
  return typeof handler === 'function' && guards.has(handler)
}

/**
 * What is wrong with an app's routes (Hono's `app.routes`): handlers without a table entry, or
 * without a guard registered before them, and table entries without a handler. Empty when sound.
 */
export function routeProblems(
  routes: readonly { method: string; path: string; handler: unknown }[],
  table: readonly RouteSpec[] = ROUTES,
): string[] {
  const problems: string[] = []
  const specific = routes.filter((r) => r.method !== 'ALL')
  const handlers = specific.filter((r) => !isGuard(r.handler))
  for (const h of handlers) {
    const name = `${h.method} ${h.path}`
    if (!findRoute(h.method, h.path)) problems.push(`${name} is not in the route table`)
    const guardAt = specific.findIndex(
      (r) => isGuard(r.handler) && r.method === h.method && r.path === h.path,
    )
    if (guardAt < 0) problems.push(`${name} has no guard`)
    else if (guardAt > specific.indexOf(h)) problems.push(`${name} is registered before its guard`)
  }
  for (const spec of table)
    if (!handlers.some((h) => h.method === spec.method && h.path === spec.path))
      problems.push(`${spec.method} ${spec.path} has no handler`)
  return problems
}

function callerAllowed(spec: RouteSpec, p: Principal): string | null {
  if (spec.access.kind !== 'permission') return null
  const { callers } = spec.access
  if (callers === 'agents' && p.kind !== 'agent') return 'only agents may call this'
  if (callers === 'users' && p.kind !== 'user') return 'only console users may call this'
  return null
}

function revokedResponse(c: Context): Response {
  return c.json(
    { error: { code: 'unauthorized', message: 'credentials were revoked during the request' } },
    401,
    {
      'www-authenticate': 'Bearer',
    },
  )
}

/** Builds the guard of one route. */
export function createGuard(sec: Security): (spec: RouteSpec) => MiddlewareHandler<AuthEnv> {
  return (spec) => {
    const access = spec.access
    const guard: MiddlewareHandler<AuthEnv> = async (c, next) => {
      if (access.kind === 'public') {
        if (access.limit !== 'none') {
          const limiter = access.limit === 'login' ? sec.limits.login : sec.limits.refresh
          const d = limiter.take(`ip:${sec.clientIp(c) ?? 'unknown'}`)
          if (!d.ok) throw rateLimited(d.retryAfterS, 'too many attempts from this address')
        }
        c.set('signal', c.req.raw.signal)
        await next()
        return
      }
      const p = await identify(c, sec.auth)
      if (!p) throw unauthorized()
      const d = sec.limits.principal.take(
        p.kind === 'agent' ? `agent:${p.agentId}` : `user:${p.userId}`,
      )
      if (!d.ok) throw rateLimited(d.retryAfterS)
      const wrongCaller = callerAllowed(spec, p)
      if (wrongCaller) throw forbidden(wrongCaller)
      if (!hasPermission(p, access.permission))
        throw forbidden(`this needs the ${access.permission} permission`)
      c.set('principal', p)
      const tracked = sec.status.track(statusKeys(p))
      c.set('signal', AbortSignal.any([c.req.raw.signal, tracked.signal]))
      try {
        await next()
      } finally {
        tracked.release()
      }
      if (tracked.signal.aborted) {
        c.res = undefined
        c.res = revokedResponse(c)
      }
    }
    guards.add(guard)
    return guard
  }
}
