/**
 * Every HTTP route of the cloud and who may call it, in one table. `createApp` installs a guard
 * for each entry (security/guard.ts) before any handler, and a test enumerates the table to prove
 * each route refuses callers without the permission (401 without credentials, 403 with the wrong
 * role) and that no handler exists without an entry. Adding a route means adding it here.
 */
import type { Permission } from '@kefu/schema'

export type HttpMethod = 'GET' | 'POST' | 'DELETE'

/** Which kinds of principal may call a route at all (before the permission is checked). */
export type Callers = 'agents' | 'users' | 'agents-and-users'

/** Per-address limits for public routes that check credentials. */
export type PublicLimit = 'none' | 'login' | 'refresh'

export type Access =
  | { kind: 'public'; why: string; limit: PublicLimit }
  | { kind: 'permission'; permission: Permission; callers: Callers }

export interface RouteSpec {
  method: HttpMethod
  /** Hono path pattern, exactly as the handler is registered. */
  path: string
  access: Access
  summary: string
}

const open = (why: string, limit: PublicLimit = 'none'): Access => ({ kind: 'public', why, limit })
const needs = (permission: Permission, callers: Callers): Access => ({
  kind: 'permission',
  permission,
  callers,
})

export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/v1/health',
    access: open('load balancers and probes'),
    summary: 'database and worker health',
  },
  {
    method: 'GET',
    path: '/metrics',
    access: open('Prometheus scrapes it; counters only, no data'),
    summary: 'Prometheus metrics',
  },
  {
    method: 'GET',
    path: '/v1/health',
    access: open("Electric's health probe"),
    summary: 'Electric-compatible health',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/login',
    access: open('exchanges an agent id and secret for tokens', 'login'),
    summary: 'agent login → access + refresh token',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/user-login',
    access: open('exchanges a username and password for tokens', 'login'),
    summary: 'console user login → access + refresh token',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/refresh',
    access: open('the refresh token in the body is the credential', 'refresh'),
    summary: 'rotate a refresh token',
  },
  {
    method: 'POST',
    path: '/api/v1/auth/logout',
    access: open('the refresh token in the body is the credential', 'refresh'),
    summary: 'revoke the token family of a refresh token',
  },
  {
    method: 'GET',
    path: '/v1/shape',
    access: needs('read:message', 'agents-and-users'),
    summary: 'Electric shape log',
  },
  {
    method: 'DELETE',
    path: '/v1/shape',
    access: needs('admin', 'users'),
    summary: 'invalidate a shape handle',
  },
  {
    method: 'POST',
    path: '/api/v1/changes',
    access: needs('write:message', 'agents'),
    summary: "an agent's outbox batch",
  },
  {
    method: 'POST',
    path: '/api/v1/agents/heartbeat',
    access: needs('write:message', 'agents'),
    summary: "an agent's status: online, sync lag, outbox depth, WeChat window, last capture",
  },
  {
    method: 'GET',
    path: '/api/v1/agents',
    access: needs('view:stats', 'users'),
    summary: 'every agent with its last heartbeat',
  },
  {
    method: 'POST',
    path: '/api/v1/admin/users',
    access: needs('admin', 'users'),
    summary: 'create a console user',
  },
  {
    method: 'POST',
    path: '/api/v1/admin/users/:id/disable',
    access: needs('admin', 'users'),
    summary: 'disable a console user and revoke their tokens',
  },
  {
    method: 'POST',
    path: '/api/v1/admin/agents',
    access: needs('admin', 'users'),
    summary: 'create an agent; returns its secret once',
  },
  {
    method: 'POST',
    path: '/api/v1/admin/agents/:id/disable',
    access: needs('admin', 'users'),
    summary: 'disable an agent: its tokens, shapes and writes stop',
  },
  {
    method: 'POST',
    path: '/api/v1/admin/agents/:id/enable',
    access: needs('admin', 'users'),
    summary: 're-enable an agent',
  },
  {
    method: 'POST',
    path: '/api/v1/admin/agents/:id/secret',
    access: needs('admin', 'users'),
    summary: "rotate an agent's secret; returns it once and revokes its tokens",
  },
  {
    method: 'GET',
    path: '/api/v1/admin/audit',
    access: needs('admin', 'users'),
    summary: 'query the audit log',
  },
]

/** The entry for `method` + `path` pattern, if any. */
export function findRoute(method: string, path: string): RouteSpec | undefined {
  return ROUTES.find((r) => r.method === method && r.path === path)
}
