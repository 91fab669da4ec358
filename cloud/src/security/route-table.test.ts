/**
 * Every route of the app is in the route table, behind its guard, and refuses every caller
 * without its permission: 401 without (or with bad) credentials, 403 with the wrong role or
 * the wrong kind of principal. Enumerated from the table and from Hono's own route list, so a
 * route added without an entry fails here.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newId, Role, ROLE_PERMISSIONS } from '@kefu/schema'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'
import { Hono } from 'hono'
import { isGuard, routeProblems } from './guard.ts'
import { ROUTES, type RouteSpec } from './route-table.ts'

type Caller = {
  name: string
  kind: 'agent' | 'user'
  role: Role | null
  headers: Record<string, string>
}

function allowed(spec: RouteSpec, caller: Caller): boolean {
  const a = spec.access
  if (a.kind === 'public') return true
  if (a.callers === 'agents' && caller.kind !== 'agent') return false
  if (a.callers === 'users' && caller.kind !== 'user') return false
  if (caller.kind === 'agent')
    return a.permission === 'read:message' || a.permission === 'write:message'
  return ROLE_PERMISSIONS[caller.role!].includes(a.permission)
}

describe('route table', () => {
  let c: TestCloud
  const callers: Caller[] = []
  beforeAll(async () => {
    c = await startTestCloud({ longPollMs: 200 })
    for (const role of Role) {
      const u = await c.createUser(role)
      const t = await c.loginUser(u.username, u.password)
      callers.push({ name: `user:${role}`, kind: 'user', role, headers: c.bearer(t.access_token) })
    }
    const a = await c.createAgentWithSecret()
    const t = await c.loginAgent(a.id, a.secret)
    callers.push({
      name: 'agent (token)',
      kind: 'agent',
      role: null,
      headers: c.bearer(t.access_token),
    })
    callers.push({
      name: 'agent (shared secret)',
      kind: 'agent',
      role: null,
      headers: c.agentHeaders(a.id),
    })
    callers.push({ name: 'admin token', kind: 'user', role: 'admin', headers: c.adminHeaders })
  })
  afterAll(async () => c.destroy())

  const call = (spec: RouteSpec, headers: Record<string, string>) =>
    fetch(`${c.url}${spec.path.replaceAll(':id', newId())}`, {
      method: spec.method,
      headers: {
        ...headers,
        ...(spec.method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(spec.method === 'POST' ? { body: '{}' } : {}),
    })

  test('every registered handler has a table entry and a guard registered before it', () => {
    expect(routeProblems(c.app.routes)).toEqual([])
    expect(
      c.app.routes.filter((r) => r.method !== 'ALL' && !isGuard(r.handler)).length,
    ).toBeGreaterThanOrEqual(ROUTES.length)
  })

  test('the completeness check catches a route added without an entry or a guard', () => {
    const app = new Hono()
    app.get('/api/v1/secret-stuff', (x) => x.text('oops'))
    expect(routeProblems(app.routes)).toEqual(
      expect.arrayContaining([
        'GET /api/v1/secret-stuff is not in the route table',
        'GET /api/v1/secret-stuff has no guard',
      ]),
    )
    expect(routeProblems(app.routes)).toContain('GET /api/v1/health has no handler')
  })

  test('public routes are explicitly public and answer without credentials', async () => {
    const pub = ROUTES.filter((r) => r.access.kind === 'public').map((r) => `${r.method} ${r.path}`)
    expect(pub.sort()).toEqual(
      [
        'GET /api/v1/health',
        'GET /metrics',
        'GET /v1/health',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/refresh',
        'POST /api/v1/auth/user-login',
      ].sort(),
    )
    for (const spec of ROUTES.filter((r) => r.access.kind === 'public')) {
      const r = await call(spec, {})
      expect(r.status, `${spec.method} ${spec.path}`).not.toBe(403)
      // login/refresh with an empty body: 400, not 401 — the body is the credential.
      expect(r.status < 500 && r.status !== 401, `${spec.method} ${spec.path}: ${r.status}`).toBe(
        true,
      )
    }
  })

  test('every non-public route is 401 without credentials and with bad ones', async () => {
    const bad: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-a-token' },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { 'x-kefu-agent-id': newId(), 'x-kefu-agent-secret': 'wrong' },
      { 'x-kefu-agent-id': newId() },
    ]
    let checked = 0
    for (const spec of ROUTES.filter((r) => r.access.kind !== 'public'))
      for (const headers of bad) {
        const r = await call(spec, headers)
        expect(r.status, `${spec.method} ${spec.path} ${JSON.stringify(headers)}`).toBe(401)
        checked++
      }
    expect(checked).toBe(5 * ROUTES.filter((r) => r.access.kind !== 'public').length)
  })

  test('every non-public route is 403 for each caller lacking its permission, and lets the others through', async () => {
    const matrix: string[] = []
    for (const spec of ROUTES.filter((r) => r.access.kind !== 'public'))
      for (const caller of callers) {
        const r = await call(spec, caller.headers)
        const ok = allowed(spec, caller)
        if (ok)
          expect([401, 403], `${caller.name} → ${spec.method} ${spec.path}`).not.toContain(r.status)
        else expect(r.status, `${caller.name} → ${spec.method} ${spec.path}`).toBe(403)
        matrix.push(`${spec.method} ${spec.path} ${caller.name}: ${r.status}`)
      }
    // Each protected route is refused to at least one caller we tried.
    for (const spec of ROUTES.filter((r) => r.access.kind !== 'public'))
      expect(
        callers.some((cl) => !allowed(spec, cl)),
        `${spec.method} ${spec.path}`,
      ).toBe(true)
    expect(matrix.length).toBe(
      callers.length * ROUTES.filter((r) => r.access.kind !== 'public').length,
    )
  })
})
