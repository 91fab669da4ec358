/**
 * Shape endpoint hardening found by the hostile suite, pinned as plain regressions: forged
 * offsets, console-user `where` reaching other tables, runtime errors in a where, and the
 * JWT agent principal getting exactly its sync-rules rows.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newId } from '@kefu/schema'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'

type Msg = { key?: string; value?: Record<string, string>; headers: Record<string, unknown> }

describe('shape endpoint hardening', () => {
  let c: TestCloud
  let a: { id: string; h: Record<string, string> }
  let b: string
  let supervisor: Record<string, string>
  beforeAll(async () => {
    c = await startTestCloud({ longPollMs: 500 })
    const x = await c.createAgentWithSecret('a')
    a = { id: x.id, h: c.bearer((await c.loginAgent(x.id, x.secret)).access_token) }
    b = await c.createAgent('b')
    for (const [agent, key] of [
      [a.id, 'mine'],
      [b, 'theirs'],
    ] as const)
      await c.db.query(
        `INSERT INTO conversations (id, agent_id, chat_key, title) VALUES ($1::uuid, $2::uuid, $3, $3)`,
        [newId(), agent, key],
      )
    const u = await c.createUser('supervisor')
    supervisor = c.bearer((await c.loginUser(u.username, u.password)).access_token)
  })
  afterAll(async () => c.destroy())

  const get = async (qs: Record<string, string>, headers: Record<string, string>) => {
    const r = await fetch(`${c.url}/v1/shape?${new URLSearchParams(qs)}`, {
      headers,
      signal: AbortSignal.timeout(5_000),
    })
    return {
      status: r.status,
      headers: r.headers,
      body: (await r.json()) as Msg[] & { errors?: Record<string, string[]> },
    }
  }

  test('an agent with a JWT gets its own rows only, whatever it adds to the query', async () => {
    const r = await get({ table: 'conversations', offset: '-1' }, a.h)
    expect(r.status).toBe(200)
    expect(r.body.filter((m) => m.value).map((m) => m.value!['chat_key'])).toEqual(['mine'])
    for (const extra of [
      { where: 'true' },
      { 'params[1]': b },
      { columns: 'id,secret_hash' },
      { table: 'agents' },
    ])
      expect(
        (await get({ table: 'conversations', offset: '-1', ...extra }, a.h)).status,
        JSON.stringify(extra),
      ).toBe(400)
  })

  test('an offset past the newest commit is a 400, not a request that never ends', async () => {
    const s = await get({ table: 'conversations', offset: '-1' }, a.h)
    const handle = s.headers.get('electric-handle')!
    const lsn = BigInt(s.headers.get('electric-offset')!.split('_')[0]!)
    for (const offset of [
      `${lsn + 1_000n}_inf`,
      '9223372036854775807_inf',
      '9999999999999999999_0',
    ]) {
      for (const live of ['false', 'true']) {
        const r = await get({ table: 'conversations', offset, handle, live }, a.h)
        expect(r.status, `${offset} live=${live}`).toBe(400)
        expect(Object.keys(r.body.errors!)).toEqual(['offset'])
      }
    }
  })

  test('an unknown handle with a far offset is still 409 must-refetch (recoverable), not 400', async () => {
    const r = await get(
      { table: 'conversations', offset: '99999999999999_inf', handle: 'gone-123' },
      a.h,
    )
    expect(r.status).toBe(409)
    expect(r.body).toEqual([{ headers: { control: 'must-refetch' } }])
  })

  test("a console user's where may not reach other tables or catalogs", async () => {
    for (const where of [
      `EXISTS (SELECT 1 FROM users)`,
      `id IN (TABLE refresh_tokens)`,
      `table_to_xml('users', true, true, '') IS NOT NULL`,
      `'users'::regclass IS NOT NULL`,
      `ts_stat('select 1') IS NULL`,
    ]) {
      const r = await get({ table: 'conversations', offset: '-1', where }, supervisor)
      expect(r.status, where).toBe(400)
      expect(Object.keys(r.body.errors!), where).toEqual(['where'])
    }
    const ok = await get(
      { table: 'conversations', offset: '-1', where: `lower(title) = $1`, 'params[1]': 'theirs' },
      supervisor,
    )
    expect(ok.status).toBe(200)
    expect(ok.body.filter((m) => m.value).map((m) => m.value!['chat_key'])).toEqual(['theirs'])
  })

  test('a where that fails at run time (division by zero, bad cast) is a 400, not a 500', async () => {
    for (const where of ['1 / (length(title) - length(title)) = 1', `title::int = 1`]) {
      const r = await fetch(
        `${c.url}/v1/shape?${new URLSearchParams({ table: 'conversations', offset: '-1', where })}`,
        { headers: supervisor },
      )
      expect(r.status, where).toBe(400)
    }
  })

  test('a cursor that is not a small whole number is ignored, not echoed as NaN', async () => {
    const s = await get({ table: 'conversations', offset: '-1' }, a.h)
    const r = await get(
      {
        table: 'conversations',
        offset: s.headers.get('electric-offset')!,
        handle: s.headers.get('electric-handle')!,
        live: 'true',
        cursor: 'NaN',
      },
      a.h,
    )
    expect(r.status).toBe(200)
    expect(r.headers.get('electric-cursor')).toMatch(/^\d+$/)
  })
})
