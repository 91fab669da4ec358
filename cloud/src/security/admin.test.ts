import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newId } from '@kefu/schema'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'
import type { AuditEntry, AuditPage } from './audit-log.ts'

type Err = { error: { code: string; message: string; field?: string } }

describe('admin API and the audit log', () => {
  let c: TestCloud
  let admin: Record<string, string>
  let adminId: string
  beforeAll(async () => {
    c = await startTestCloud()
    const u = await c.createUser('admin', 'root-admin')
    adminId = u.id
    admin = c.bearer((await c.loginUser(u.username, u.password)).access_token)
  })
  afterAll(async () => c.destroy())

  const post = (path: string, body: unknown, headers: Record<string, string> = admin) =>
    fetch(`${c.url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const audit = async (qs: Record<string, string> = {}): Promise<AuditPage> => {
    const r = await fetch(`${c.url}/api/v1/admin/audit?${new URLSearchParams(qs)}`, {
      headers: admin,
    })
    expect(r.status).toBe(200)
    return (await r.json()) as AuditPage
  }

  test('creating users: roles, normalised unique usernames, password and username rules', async () => {
    const r = await post('/api/v1/admin/users', {
      username: 'Zhang.Wei',
      password: 'correct horse battery',
      role: 'supervisor',
    })
    expect(r.status).toBe(201)
    const u = (await r.json()) as { id: string; username: string; role: string }
    expect(u).toMatchObject({ username: 'zhang.wei', role: 'supervisor' })
    const stored = await c.db.query<{ password_hash: string }>(
      `SELECT password_hash FROM users WHERE id = $1::uuid`,
      [u.id],
    )
    expect(stored[0]!.password_hash).toMatch(/^scrypt\$\d+\$8\$1\$/)
    expect(stored[0]!.password_hash).not.toContain('correct horse')
    expect(
      (
        await post('/api/v1/admin/users', {
          username: 'ZHANG.WEI',
          password: 'another long one',
          role: 'agent',
        })
      ).status,
    ).toBe(409)
    expect(
      (
        await post('/api/v1/admin/users', {
          username: '王小明',
          password: 'correct horse battery',
          role: 'analyst',
        })
      ).status,
    ).toBe(201)
    for (const [body, field] of [
      [{ username: 'ab', password: 'correct horse battery', role: 'agent' }, 'username'],
      [{ username: 'a\u200bdmin', password: 'correct horse battery', role: 'agent' }, 'username'],
      [{ username: 'evil\u202etxt', password: 'correct horse battery', role: 'agent' }, 'username'],
      [{ username: 'has space', password: 'correct horse battery', role: 'agent' }, 'username'],
      [{ username: 'shortpw', password: 'short', role: 'agent' }, 'password'],
      [{ username: 'badrole', password: 'correct horse battery', role: 'root' }, 'role'],
      [{ username: 'nul', password: 'correct horse\u0000battery', role: 'agent' }, 'password'],
    ] as const) {
      const res = await post('/api/v1/admin/users', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(((await res.json()) as Err).error.field, JSON.stringify(body)).toBe(field)
    }
    const login = await fetch(`${c.url}/api/v1/auth/user-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ZHANG.wei', password: 'correct horse battery' }),
    })
    expect(login.status).toBe(200)
    expect(((await login.json()) as { user: { permissions: string[] } }).user.permissions).toEqual([
      'read:message',
      'write:message',
      'manage:customer',
      'view:stats',
    ])
  })

  test('an agent is created with a secret shown once; rotating it revokes the old secret and its tokens', async () => {
    const r = await post('/api/v1/admin/agents', { name: '客服 1', wechat_account: 'wxid_1' })
    expect(r.status).toBe(201)
    const a = (await r.json()) as { id: string; secret: string; name: string }
    expect(a.secret).toMatch(/^kas_[A-Za-z0-9_-]{43}$/)
    const row = await c.db.query<{ secret_hash: string }>(
      `SELECT secret_hash FROM agents WHERE id = $1::uuid`,
      [a.id],
    )
    expect(row[0]!.secret_hash).not.toContain(a.secret.slice(4))
    const t = await c.loginAgent(a.id, a.secret)
    const rot = await post(`/api/v1/admin/agents/${a.id}/secret`, {})
    expect(rot.status).toBe(200)
    const { secret } = (await rot.json()) as { secret: string }
    expect(secret).not.toBe(a.secret)
    const old = await post('/api/v1/auth/login', { agent_id: a.id, secret: a.secret }, {})
    expect(old.status).toBe(401)
    expect(
      (await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: c.bearer(t.access_token) }))
        .status,
    ).toBe(401)
    await c.loginAgent(a.id, secret)
    expect((await post('/api/v1/admin/agents', { name: '' })).status).toBe(400)
    expect((await post('/api/v1/admin/agents', { name: 'x\u0007y' })).status).toBe(400)
    expect((await post(`/api/v1/admin/agents/not-a-uuid/disable`, {})).status).toBe(400)
    expect((await post(`/api/v1/admin/agents/${newId()}/disable`, {})).status).toBe(404)
  })

  test('disable and enable an agent; disable a user (not yourself)', async () => {
    const a = await c.createAgentWithSecret('flip')
    expect((await post(`/api/v1/admin/agents/${a.id}/disable`, {})).status).toBe(200)
    expect(
      (await post('/api/v1/auth/login', { agent_id: a.id, secret: a.secret }, {})).status,
    ).toBe(403)
    expect((await post(`/api/v1/admin/agents/${a.id}/enable`, {})).status).toBe(200)
    await c.loginAgent(a.id, a.secret)

    const u = await c.createUser('supervisor')
    const t = await c.loginUser(u.username, u.password)
    expect(
      (await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: c.bearer(t.access_token) }))
        .status,
    ).toBe(200)
    expect((await post(`/api/v1/admin/users/${u.id}/disable`, {})).status).toBe(200)
    expect(
      (await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: c.bearer(t.access_token) }))
        .status,
    ).toBe(401)
    expect(
      (await post('/api/v1/auth/refresh', { refresh_token: t.refresh_token }, {})).status,
    ).toBe(401)
    expect(
      (await post('/api/v1/auth/user-login', { username: u.username, password: u.password }, {}))
        .status,
    ).toBe(403)
    expect((await post(`/api/v1/admin/users/${adminId}/disable`, {})).status).toBe(409)
  })

  test('admin acts and auth events are audited with who, what, when and where; filters and pages work', async () => {
    await post(
      '/api/v1/auth/user-login',
      { username: 'root-admin', password: 'hunter2-not-it' },
      {},
    )
    const all = await audit({ limit: '500' })
    const actions = new Set(all.entries.map((e) => e.action))
    for (const a of [
      'auth.user_login',
      'auth.agent_login',
      'admin.user.create',
      'admin.agent.create',
      'admin.agent.disable',
      'admin.agent.enable',
      'admin.agent.rotate_secret',
      'admin.user.disable',
    ])
      expect(actions, a).toContain(a)
    const created = all.entries.find(
      (e) => e.action === 'admin.agent.create' && e.actor === adminId,
    )!
    expect(created).toMatchObject({ actor: adminId, actor_kind: 'user', ok: true, ip: '127.0.0.1' })
    expect(created.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(created.target).toMatch(/^[0-9a-f-]{36}$/)
    // Never a secret or password in the log.
    const text = JSON.stringify(all)
    expect(text).not.toMatch(/kas_|hunter2|correct horse|scrypt\$/)

    const failed = await audit({ action: 'auth.user_login', ok: 'false' })
    expect(failed.entries.length).toBeGreaterThanOrEqual(1)
    expect(failed.entries.every((e) => e.action === 'auth.user_login' && !e.ok)).toBe(true)
    const adminActs = await audit({ action_prefix: 'admin.agent.', actor: adminId })
    expect(
      adminActs.entries.every(
        (e: AuditEntry) => e.action.startsWith('admin.agent.') && e.actor === adminId,
      ),
    ).toBe(true)
    expect((await audit({ since: '2999-01-01T00:00:00Z' })).entries).toEqual([])
    expect((await audit({ until: '2000-01-01T00:00:00Z' })).entries).toEqual([])

    // Keyset pages: newest first, disjoint, and together the whole log.
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: AuditPage = await audit({ limit: '3', ...(cursor ? { cursor } : {}) })
      expect(page.entries.length).toBeLessThanOrEqual(3)
      seen.push(...page.entries.map((e) => e.id))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(all.entries.map((e) => e.id))
    expect(new Set(seen).size).toBe(seen.length)

    for (const qs of [
      'limit=0',
      'limit=501',
      'limit=abc',
      'cursor=-1',
      'ok=yes',
      'since=yesterday',
      'since=0000-01-01T00:00:00Z',
      'actor_kind=root',
      'nope=1',
      'action=a&action=b',
    ])
      expect(
        (await fetch(`${c.url}/api/v1/admin/audit?${qs}`, { headers: admin })).status,
        qs,
      ).toBe(400)
  })
})

describe('client address behind a proxy', () => {
  test('X-Forwarded-For is ignored unless KEFU_TRUST_PROXY is set, then the proxy-appended entry is used', async () => {
    const plain = await startTestCloud()
    const proxied = await startTestCloud({ env: { KEFU_TRUST_PROXY: '1' } })
    try {
      for (const c of [plain, proxied])
        await fetch(`${c.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-forwarded-for': '6.6.6.6, 203.0.113.7',
          },
          body: JSON.stringify({ agent_id: newId(), secret: 'x' }),
        })
      const ip = async (c: TestCloud) =>
        (await c.db.query<{ ip: string }>(`SELECT ip FROM audit_log`))[0]!.ip
      expect(await ip(plain)).toBe('127.0.0.1')
      expect(await ip(proxied)).toBe('203.0.113.7')
    } finally {
      await plain.destroy()
      await proxied.destroy()
    }
  })
})
