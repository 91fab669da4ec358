import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SignJWT, UnsecuredJWT } from 'jose'
import { newId } from '@kefu/schema'
import { openPglite } from '@kefu/migrations'
import { migrate } from '@kefu/migrations'
import { JWT_SECRET, startTestCloud, type TestCloud } from '../testing/test-cloud.ts'
import { createTokenService } from './token-service.ts'

const key = new TextEncoder().encode(JWT_SECRET)

async function sign(
  claims: Record<string, unknown>,
  o: { key?: Uint8Array; typ?: string; iat?: number; exp?: number; alg?: string } = {},
) {
  const iat = o.iat ?? Math.floor(Date.now() / 1000)
  return new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: o.typ ?? 'at+jwt' })
    .setIssuer('kefu')
    .setAudience('kefu')
    .setJti(newId())
    .setIssuedAt(iat)
    .setExpirationTime(o.exp ?? iat + 600)
    .sign(o.key ?? key)
}

describe('agent tokens over HTTP', () => {
  let c: TestCloud
  let agent: { id: string; secret: string }
  beforeAll(async () => {
    c = await startTestCloud({ longPollMs: 3_000 })
    agent = await c.createAgentWithSecret('tokens')
  })
  afterAll(async () => c.destroy())

  const shape = (headers: Record<string, string>, qs = 'table=conversations&offset=-1') =>
    fetch(`${c.url}/v1/shape?${qs}`, { headers })
  const post = (path: string, body: unknown) =>
    fetch(`${c.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  test('login gives a ≤15 min HS256 access token and a refresh token; the access token reads shapes', async () => {
    const t = await c.loginAgent(agent.id, agent.secret)
    expect(t.token_type).toBe('Bearer')
    expect(t.expires_in).toBeLessThanOrEqual(900)
    expect(t.refresh_token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/)
    const [header, payload] = t.access_token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>)
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    expect(payload).toMatchObject({ sub: agent.id, knd: 'agent', iss: 'kefu', aud: 'kefu' })
    expect((payload!['exp'] as number) - (payload!['iat'] as number)).toBeLessThanOrEqual(900)
    expect((await shape(c.bearer(t.access_token))).status).toBe(200)
    // The refresh token itself is never stored, only its hash.
    const stored = await c.db.query<{ h: string }>(`SELECT token_hash AS h FROM refresh_tokens`)
    expect(stored.map((s) => s.h)).not.toContain(t.refresh_token)
  })

  test('a wrong secret, an unknown agent and a malformed body are refused without saying which', async () => {
    const wrong = await post('/api/v1/auth/login', { agent_id: agent.id, secret: 'nope' })
    const unknown = await post('/api/v1/auth/login', { agent_id: newId(), secret: 'nope' })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
      ((await unknown.json()) as { error: { message: string } }).error.message,
    )
    expect((await post('/api/v1/auth/login', { agent_id: 'x', secret: 'y' })).status).toBe(400)
    expect(
      (await post('/api/v1/auth/login', { agent_id: agent.id, secret: agent.secret, extra: 1 }))
        .status,
    ).toBe(400)
  })

  test('expired, tampered, foreign, unsigned and mis-typed access tokens are all 401', async () => {
    const t = await c.loginAgent(agent.id, agent.secret)
    const fam = (
      JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString()) as {
        fam: string
      }
    ).fam
    const claims = { sub: agent.id, knd: 'agent', fam }
    const now = Math.floor(Date.now() / 1000)
    const [h, p, s] = t.access_token.split('.') as [string, string, string]
    const flipped = (x: string) =>
      x[5] === 'A' ? x.slice(0, 5) + 'B' + x.slice(6) : x.slice(0, 5) + 'A' + x.slice(6)
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...claims,
        sub: newId(),
        iss: 'kefu',
        aud: 'kefu',
        exp: now + 600,
        iat: now,
        jti: newId(),
      }),
    ).toString('base64url')
    const bad: Record<string, string> = {
      expired: await sign(claims, { iat: now - 1000, exp: now - 100 }),
      'too long-lived': await sign(claims, { iat: now, exp: now + 24 * 3600 }),
      'issued in the future': await sign(claims, { iat: now + 3600, exp: now + 3900 }),
      'tampered payload': `${h}.${forgedPayload}.${s}`,
      'tampered signature': `${h}.${p}.${flipped(s)}`,
      'foreign key': await sign(claims, {
        key: new TextEncoder().encode('another-key-of-32-characters-or-more!!'),
      }),
      'alg none': new UnsecuredJWT({
        ...claims,
        iss: 'kefu',
        aud: 'kefu',
        exp: now + 600,
        iat: now,
        jti: newId(),
      }).encode(),
      'HS512 with our key': await sign(claims, { alg: 'HS512' }),
      'wrong typ': await sign(claims, { typ: 'JWT' }),
      'user without role': await sign({ ...claims, knd: 'user' }),
      'unknown family': await sign({ ...claims, fam: newId() }),
      'unknown agent': await sign({ ...claims, sub: newId() }),
      'not a JWT': 'hello',
      empty: '',
    }
    for (const [what, token] of Object.entries(bad)) {
      const r = await shape({ authorization: `Bearer ${token}` })
      expect(r.status, what).toBe(401)
      expect(r.headers.get('www-authenticate'), what).toBe('Bearer')
    }
    // Control: the same claims, signed properly, pass.
    expect((await shape(c.bearer(await sign(claims)))).status).toBe(200)
  })

  test('refresh rotates; replaying a spent refresh token revokes the whole family, access tokens included', async () => {
    const t1 = await c.loginAgent(agent.id, agent.secret)
    const r2 = await post('/api/v1/auth/refresh', { refresh_token: t1.refresh_token })
    expect(r2.status).toBe(200)
    const t2 = (await r2.json()) as {
      access_token: string
      refresh_token: string
      agent_id: string
    }
    expect(t2.agent_id).toBe(agent.id)
    expect(t2.refresh_token).not.toBe(t1.refresh_token)
    expect((await shape(c.bearer(t2.access_token))).status).toBe(200)

    const replay = await post('/api/v1/auth/refresh', { refresh_token: t1.refresh_token })
    expect(replay.status).toBe(401)
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(
      /already used/,
    )
    // Everything of that login is dead now: the newest refresh token and both access tokens.
    expect((await post('/api/v1/auth/refresh', { refresh_token: t2.refresh_token })).status).toBe(
      401,
    )
    expect((await shape(c.bearer(t2.access_token))).status).toBe(401)
    expect((await shape(c.bearer(t1.access_token))).status).toBe(401)
    // Another login of the same agent is a different family and unaffected.
    const other = await c.loginAgent(agent.id, agent.secret)
    expect((await shape(c.bearer(other.access_token))).status).toBe(200)
    const audit = await c.db.query<{ action: string; ok: boolean }>(
      `SELECT action, ok FROM audit_log WHERE action = 'auth.refresh_reuse'`,
    )
    expect(audit).toEqual([{ action: 'auth.refresh_reuse', ok: false }])
  })

  test('logout revokes the family; a replayed request with its access token is refused', async () => {
    const t = await c.loginAgent(agent.id, agent.secret)
    expect((await shape(c.bearer(t.access_token))).status).toBe(200)
    expect((await post('/api/v1/auth/logout', { refresh_token: t.refresh_token })).status).toBe(204)
    expect((await shape(c.bearer(t.access_token))).status).toBe(401)
    expect((await post('/api/v1/auth/refresh', { refresh_token: t.refresh_token })).status).toBe(
      401,
    )
    // Logout of an unknown token answers the same.
    expect(
      (await post('/api/v1/auth/logout', { refresh_token: `rt_${'A'.repeat(43)}` })).status,
    ).toBe(204)
  })

  test('disabling an agent cuts its held live shape request at once, its tokens and its refresh', async () => {
    const a = await c.createAgentWithSecret('to-disable')
    const t = await c.loginAgent(a.id, a.secret)
    const first = await shape(c.bearer(t.access_token))
    const handle = first.headers.get('electric-handle')!
    const offset = first.headers.get('electric-offset')!
    const t0 = Date.now()
    const live = shape(
      c.bearer(t.access_token),
      `table=conversations&offset=${offset}&handle=${handle}&live=true`,
    )
    await new Promise((r) => setTimeout(r, 200))
    const dis = await fetch(`${c.url}/api/v1/admin/agents/${a.id}/disable`, {
      method: 'POST',
      headers: c.adminHeaders,
    })
    expect(dis.status).toBe(200)
    const cut = await live
    expect(cut.status).toBe(401)
    expect(Date.now() - t0).toBeLessThan(2_000) // not the 3 s long-poll
    expect((await shape(c.bearer(t.access_token))).status).toBe(401)
    expect((await post('/api/v1/auth/refresh', { refresh_token: t.refresh_token })).status).toBe(
      401,
    )
    const login = await post('/api/v1/auth/login', { agent_id: a.id, secret: a.secret })
    expect(login.status).toBe(403)
    // Writes are cut too.
    const w = await fetch(`${c.url}/api/v1/changes`, {
      method: 'POST',
      headers: { ...c.bearer(t.access_token), 'content-type': 'application/json' },
      body: JSON.stringify({
        changes: [
          { id: newId(), kind: 'update_message', pk: newId(), set: { answered_by: 'local' } },
        ],
      }),
    })
    expect(w.status).toBe(401)
    // The shared-secret path refuses a disabled agent as well.
    expect((await shape(c.agentHeaders(a.id))).status).toBe(401)
  })
})

describe('token service', () => {
  test('an access token expires after its TTL (clock injected), a refresh token after its own', async () => {
    const db = await openPglite()
    try {
      await migrate(db, 'cloud')
      const agentId = newId()
      await db.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, 'a')`, [agentId])
      let now = Date.UTC(2030, 0, 1)
      const ts = createTokenService({
        db,
        secret: key,
        accessTtlS: 60,
        refreshTtlS: 3600,
        now: () => now,
      })
      const { tokens } = await ts.issue({ kind: 'agent', id: agentId })
      expect((await ts.verifyAccess(tokens.access_token))?.subject).toEqual({
        kind: 'agent',
        id: agentId,
      })
      now += 59_000
      expect(await ts.verifyAccess(tokens.access_token)).not.toBeNull()
      now += 2_000
      expect(await ts.verifyAccess(tokens.access_token)).toBeNull()
      now += 3600_000
      expect((await ts.rotate(tokens.refresh_token)).kind).toBe('expired')
      expect(() =>
        createTokenService({ db, secret: key, accessTtlS: 901, refreshTtlS: 3600 }),
      ).toThrow(/at most 900/)
      expect(() =>
        createTokenService({ db, secret: new Uint8Array(8), accessTtlS: 60, refreshTtlS: 3600 }),
      ).toThrow(/32 bytes/)
    } finally {
      await db.close()
    }
  })
})
