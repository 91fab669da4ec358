/**
 * Hostile REST requests besides changes: malformed bodies on every POST route, the auth
 * endpoints, the admin endpoints with invalid bodies and ids, bad credentials on every
 * protected route, and odd paths and methods.
 */
import fc from 'fast-check'
import { Role } from '@kefu/schema'
import {
  headerJunk,
  nastyShort,
  nastyString,
  poisonString,
  rawQueryValue,
  wrongType,
} from './hostile-inputs.ts'
import { ROUTES } from './route-table.ts'
import { enc, type HostileRequest, type HostileWorld } from './hostile-world.ts'

export function rawBodies(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  const targets: [string, Record<string, string>][] = [
    ['/api/v1/changes', w.a.headers],
    ['/api/v1/auth/login', {}],
    ['/api/v1/auth/user-login', {}],
    ['/api/v1/auth/refresh', {}],
    ['/api/v1/auth/logout', {}],
    ['/api/v1/admin/users', w.admin],
    ['/api/v1/admin/agents', w.admin],
  ]
  const body = fc.oneof(
    fc.json().map((s) => ({ body: s as string | Uint8Array, type: 'application/json' })),
    fc
      .tuple(
        fc.constantFrom(
          JSON.stringify({ changes: w.a.seedBatch }),
          JSON.stringify({ agent_id: w.a.id, secret: 'x' }),
        ),
        fc.nat(),
      )
      .map(([s, n]) => ({ body: s.slice(0, n % s.length), type: 'application/json' })),
    fc
      .uint8Array({ maxLength: 300 })
      .map((b) => ({ body: b as string | Uint8Array, type: 'application/json' })),
    fc
      .nat({ max: 20_000 })
      .map((d) => ({ body: '['.repeat(d + 100) + ']'.repeat(d + 100), type: 'application/json' })),
    fc.nat({ max: 20_000 }).map((d) => ({
      body: '{"a":'.repeat(d + 100) + '1' + '}'.repeat(d + 100),
      type: 'application/json',
    })),
    fc.constant({ body: JSON.stringify({ pad: 'x'.repeat(70_000) }), type: 'application/json' }),
    fc.constant({
      body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
      type: 'application/json',
    }),
    fc.constant({ body: '\ufeff{"changes":[]}', type: 'application/json' }),
    fc.constant({ body: '{"changes": 1e999999}', type: 'application/json' }),
    fc
      .tuple(
        fc.json(),
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/jsonx',
          'application/json-patch+json',
          '',
        ),
      )
      .map(([s, type]) => ({ body: s as string | Uint8Array, type })),
  )
  return fc.tuple(fc.constantFrom(...targets), body).map(([[path, headers], b]) => ({
    category: 'malformed bodies',
    method: 'POST',
    path,
    headers: { ...headers, ...(b.type ? { 'content-type': b.type } : {}) },
    body: b.body,
    allowed: path === '/api/v1/auth/logout' ? [204, 400, 413, 415] : [400, 401, 413, 415],
    watch: path.startsWith('/api/v1/admin') ? 'secrets' : 'all',
  }))
}

export function auth(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  const wrongSecret = fc
    .oneof(
      fc.constantFrom(
        `${w.a.secret}x`,
        w.a.secret.slice(0, -1),
        w.a.secret.toUpperCase(),
        ` ${w.a.secret}`,
        w.b.secret.slice(1),
      ),
      nastyString,
      poisonString,
    )
    .filter((s) => s !== w.a.secret && s !== w.b.secret)
  const json = (path: string, body: unknown, allowed: readonly number[]): HostileRequest => ({
    category: 'auth endpoints',
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    allowed,
    watch: 'all',
  })
  return fc.oneof(
    fc
      .record({
        agent_id: fc.oneof(
          fc.constantFrom(w.a.id, w.b.id, w.a.id.toUpperCase()),
          fc.uuid(),
          nastyString,
          wrongType,
        ),
        secret: fc.oneof(wrongSecret, wrongType),
      })
      .map((b) => json('/api/v1/auth/login', b, [400, 401, 413, 429])),
    fc
      .record({
        username: fc.oneof(fc.constantFrom(...w.usernames), nastyString, wrongType),
        password: fc.oneof(nastyString, poisonString, wrongType),
      })
      .map((b) => json('/api/v1/auth/user-login', b, [400, 401, 413, 429])),
    fc
      .oneof(
        nastyString,
        fc.string({ unit: 'binary-ascii', minLength: 43, maxLength: 43 }).map((s) => `rt_${s}`),
        fc.base64String({ minLength: 44, maxLength: 44 }).map((s) => `rt_${s.slice(0, 43)}`),
        wrongType,
      )
      .map((t) => json('/api/v1/auth/refresh', { refresh_token: t }, [400, 401, 413, 429])),
    fc
      .oneof(
        nastyString,
        fc.base64String({ minLength: 44, maxLength: 44 }).map((s) => `rt_${s.slice(0, 43)}`),
        wrongType,
      )
      .map((t) => json('/api/v1/auth/logout', { refresh_token: t }, [204, 400, 413, 429])),
  )
}

export function admin(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{2,63}$/u
  const badUser = fc.oneof(
    fc.record({
      username: nastyString.filter((u) => !USERNAME.test(u.normalize('NFC').toLowerCase())),
      password: fc.constant('a perfectly long password'),
      role: fc.constantFrom(...Role),
    }),
    fc.record({
      username: fc.constant('fine_name'),
      password: fc.oneof(fc.string({ maxLength: 11 }), poisonString, wrongType),
      role: fc.constantFrom(...Role),
    }),
    fc.record({
      username: fc.constant('fine_name'),
      password: fc.constant('a perfectly long password'),
      role: fc.oneof(
        nastyString.filter((r) => !(Role as readonly string[]).includes(r)),
        wrongType,
      ),
    }),
    fc.record({
      username: fc.constant('fine_name'),
      password: fc.constant('a perfectly long password'),
      role: fc.constant('admin'),
      extra: nastyString,
    }),
  )
  const badAgent = fc.oneof(
    fc.record({
      name: fc.oneof(
        fc.constantFrom('', '   ', 'a\u0007b', 'x'.repeat(201), '\r\n'),
        poisonString,
        wrongType,
      ),
    }),
    fc.record({
      name: fc.constant('ok'),
      wechat_account: fc.oneof(poisonString, wrongType, fc.constant('')),
    }),
    fc.record({ name: fc.constant('ok'), secret_hash: nastyString }),
  )
  const who = fc.constantFrom(w.admin, w.c.adminHeaders)
  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string>,
    allowed: readonly number[],
  ): HostileRequest => ({
    category: 'admin endpoints',
    method: 'POST',
    path,
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    allowed,
    watch: 'secrets',
  })
  const idSegment = fc.oneof(
    nastyShort.map(enc),
    fc.uuid(),
    rawQueryValue,
    fc.constantFrom('..', '%2e%2e', '%2F', ''),
  )
  return fc.oneof(
    fc.tuple(badUser, who).map(([b, h]) => post('/api/v1/admin/users', b, h, [400, 413])),
    fc.tuple(badAgent, who).map(([b, h]) => post('/api/v1/admin/agents', b, h, [400, 413])),
    fc
      .tuple(
        fc.constantFrom(
          'agents/:id/disable',
          'agents/:id/enable',
          'agents/:id/secret',
          'users/:id/disable',
        ),
        idSegment,
        who,
      )
      .map(([p, id, h]) =>
        post(`/api/v1/admin/${p.replace(':id', id)}`, {}, h, [400, 404, 414, 431]),
      ),
    fc
      .tuple(
        fc.array(
          fc.tuple(
            fc.constantFrom(
              'actor',
              'actor_kind',
              'action',
              'action_prefix',
              'target',
              'ip',
              'ok',
              'since',
              'until',
              'limit',
              'cursor',
              'bogus',
            ),
            fc.oneof(nastyShort.map(enc), rawQueryValue),
          ),
          { maxLength: 4 },
        ),
        who,
      )
      .map(([qs, h]) => ({
        category: 'admin endpoints',
        method: 'GET',
        path: `/api/v1/admin/audit?${qs.map(([k, v]) => `${k}=${v}`).join('&')}`,
        headers: h,
        allowed: [200, 400, 414, 431],
        watch: 'secrets' as const,
      })),
  )
}

export function badCredentials(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  const protectedRoutes = ROUTES.filter((r) => r.access.kind !== 'public')
  const header = fc.oneof(
    fc.constantFrom(...w.badTokens).map((t) => ({ authorization: `Bearer ${t}` })),
    headerJunk.map((t) => ({ authorization: `Bearer ${t}` })),
    headerJunk.map((t) => ({ authorization: t })),
    fc
      .tuple(fc.oneof(fc.constantFrom(w.a.id, w.b.id), headerJunk), headerJunk)
      .map(([id, s]) => ({ 'x-kefu-agent-id': id, 'x-kefu-agent-secret': s })),
    fc.constant({}),
  )
  return fc.tuple(fc.constantFrom(...protectedRoutes), header, fc.uuid()).map(([r, h, id]) => ({
    category: 'bad credentials on protected routes',
    method: r.method,
    path: `${r.path.replace(':id', id)}${r.path === '/v1/shape' ? '?table=conversations&offset=-1' : ''}`,
    headers: { ...h, ...(r.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(r.method === 'POST' ? { body: '{}' } : {}),
    allowed: [401],
    watch: 'all' as const,
  }))
}

export function paths(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  return fc
    .tuple(
      fc.constantFrom(
        '/api/v1/%61dmin/audit',
        '/API/V1/ADMIN/AUDIT',
        '//api/v1/admin/audit',
        '/api/v1/admin/audit/',
        '/api/v1/admin/audit%00',
        '/api/v1/admin/audit;x=1',
        '/v1/shape/..%2f..%2fapi/v1/admin/audit',
        '/api/v1/admin/%2e%2e/admin/audit',
        '/api/v1/admin/agents/%00/disable',
        '/api/v1/admin/agents/%ED%A0%80/disable',
        '/v1/shape%00?table=faq&offset=-1',
        '/api/v1/changes%2f',
        '/metrics/../api/v1/admin/audit',
      ),
      fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
    )
    .map(([path, method]) => ({
      category: 'odd paths and methods',
      method,
      path,
      headers: w.a.headers,
      allowed: [400, 403, 404],
      watch: 'all' as const,
    }))
}
