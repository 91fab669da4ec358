/**
 * The Electric shape protocol as the official client sees it, on a real Postgres.
 */
import { afterEach, describe, expect, test } from 'vitest'
import { Shape, ShapeStream, type Row } from '@electric-sql/client'
import { newId } from '@kefu/schema'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'

type Msg = { key?: string; value?: Record<string, unknown>; old_value?: Record<string, unknown>; headers: Record<string, unknown> }

let clouds: TestCloud[] = []
afterEach(async () => {
  for (const c of clouds) await c.destroy()
  clouds = []
})
async function cloud(longPollMs = 20_000) {
  const c = await startTestCloud({ engine: 'postgres', longPollMs })
  clouds.push(c)
  return c
}

async function get(c: TestCloud, qs: Record<string, string>, headers: Record<string, string> = c.adminHeaders) {
  const r = await fetch(`${c.url}/v1/shape?${new URLSearchParams(qs)}`, { headers })
  const body = (await r.json()) as Msg[] & { message?: string; errors?: Record<string, string[]> }
  return { status: r.status, headers: r.headers, body }
}

async function addConversation(c: TestCloud, agent: string, chat: string, state = 'unhandled') {
  const id = newId()
  await c.db.query(`INSERT INTO conversations (id, agent_id, chat_key, state) VALUES ($1::uuid, $2::uuid, $3, $4)`, [id, agent, chat, state])
  return id
}

/** Reads a shape to up-to-date, returning messages, the last offset and handle. */
async function catchUp(c: TestCloud, qs: Record<string, string>, headers?: Record<string, string>) {
  let r = await get(c, { ...qs, offset: '-1' }, headers)
  expect(r.status).toBe(200)
  const msgs = [...r.body]
  let handle = r.headers.get('electric-handle')!
  let offset = r.headers.get('electric-offset')!
  for (;;) {
    r = await get(c, { ...qs, offset, handle }, headers)
    expect(r.status).toBe(200)
    msgs.push(...r.body)
    handle = r.headers.get('electric-handle')!
    offset = r.headers.get('electric-offset')!
    if (r.body.at(-1)?.headers['control'] === 'up-to-date') break
  }
  return { msgs: msgs.filter((m) => m.key), handle, offset, last: r }
}

describe('GET /v1/shape', () => {
  test('the official client gets the snapshot, then live changes within milliseconds', async () => {
    const c = await cloud()
    const agent = await c.createAgent()
    await addConversation(c, agent, 'chat-1')
    const stream = new ShapeStream<Row>({ url: `${c.url}/v1/shape`, params: { table: 'conversations' }, headers: c.agentHeaders(agent) })
    const shape = new Shape(stream as never)
    try {
      expect((await shape.rows).map((r) => r['chat_key'])).toEqual(['chat-1'])
      const got = new Promise<number>((resolve) => {
        shape.subscribe(({ rows }) => {
          if (rows.length === 2) resolve(Date.now())
        })
      })
      await new Promise((r) => setTimeout(r, 100)) // the client is now holding a live request
      const t0 = Date.now()
      await addConversation(c, agent, 'chat-2')
      const latency = (await got) - t0
      expect(latency).toBeLessThan(1000)
    } finally {
      stream.unsubscribeAll()
    }
  })

  test('headers, value encoding and the electric-schema header follow the protocol', async () => {
    const c = await cloud()
    const agent = await c.createAgent()
    const customer = newId()
    await c.db.query(`INSERT INTO customers (id, agent_id, display_name, tags) VALUES ($1::uuid, $2::uuid, '王/小明', '{VIP,"a b"}')`, [customer, agent])
    const r = await get(c, { table: 'customers', offset: '-1' }, c.agentHeaders(agent))
    expect(r.status).toBe(200)
    expect(r.headers.get('electric-handle')).toMatch(/\S+/)
    expect(r.headers.get('electric-offset')).toMatch(/^\d+_inf$/)
    expect(r.body.at(-1)?.headers['control']).toBeUndefined() // never up-to-date at offset=-1
    const schema = JSON.parse(r.headers.get('electric-schema')!) as Record<string, Record<string, unknown>>
    expect(schema['id']).toEqual({ type: 'uuid', pk_index: 0, not_null: true })
    expect(schema['tags']).toEqual({ type: 'text', dims: 1, not_null: true })
    expect(schema['spend']).toBeUndefined() // not in the agent's allowed columns
    const row = r.body[0]!
    expect(row.key).toBe(`"public"."customers"/"${customer}"`)
    expect(row.value).toMatchObject({ id: customer, display_name: '王/小明', tags: '{VIP,"a b"}', grade: 'C' })
    expect(row.value!['first_seen_at']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00$/)
    expect(row.headers).toEqual({ operation: 'insert', relation: ['public', 'customers'] })
    // Catch-up: up-to-date last, with a decimal-string global_last_seen_lsn.
    const next = await get(c, { table: 'customers', offset: r.headers.get('electric-offset')!, handle: r.headers.get('electric-handle')! }, c.agentHeaders(agent))
    const ctl = next.body.at(-1)!.headers
    expect(ctl['control']).toBe('up-to-date')
    expect(ctl['global_last_seen_lsn']).toMatch(/^\d+$/)
    expect(next.headers.get('electric-schema')).not.toBeNull()
  })

  test('changes carry lsn, op_position, txids and last; LSNs increase', async () => {
    const c = await cloud()
    const agent = await c.createAgent()
    const s = await catchUp(c, { table: 'conversations' }, c.agentHeaders(agent))
    await c.db.transaction(async (tx) => {
      for (const k of ['a', 'b'])
        await tx.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, $3)`, [newId(), agent, k])
    })
    await addConversation(c, agent, 'c')
    const r = await get(c, { table: 'conversations', offset: s.offset, handle: s.handle }, c.agentHeaders(agent))
    const changes = r.body.filter((m) => m.key)
    expect(changes).toHaveLength(3)
    const [a, b, cc] = changes as [Msg, Msg, Msg]
    expect(typeof a.headers['lsn']).toBe('string')
    expect(a.headers['lsn']).toBe(b.headers['lsn'])
    expect(BigInt(cc.headers['lsn'] as string) > BigInt(a.headers['lsn'] as string)).toBe(true)
    expect(a.headers['last']).toBeUndefined()
    expect(b.headers['last']).toBe(true)
    expect(cc.headers['last']).toBe(true)
    expect((a.headers['op_position'] as number) < (b.headers['op_position'] as number)).toBe(true)
    expect(a.headers['txids']).toEqual([expect.any(Number)])
    const gl = BigInt(r.body.at(-1)!.headers['global_last_seen_lsn'] as string)
    expect(gl >= BigInt(cc.headers['lsn'] as string)).toBe(true)
  })

  test('where + params are bound, columns are projected, replica=full sends old values, rows move in and out', async () => {
    const c = await cloud()
    const agent = await c.createAgent()
    const id = await addConversation(c, agent, 'x', 'bot')
    await addConversation(c, agent, 'y', 'human')
    const qs = { table: 'conversations', where: 'state = $1', 'params[1]': 'bot', columns: 'id,"state",title', replica: 'full' }
    const s = await catchUp(c, qs)
    expect(s.msgs.map((m) => m.value)).toEqual([{ id, state: 'bot', title: null }])
    await c.db.query(`UPDATE conversations SET title = 'T' WHERE id = $1::uuid`, [id])
    await c.db.query(`UPDATE conversations SET state = 'human' WHERE id = $1::uuid`, [id]) // moves out
    await c.db.query(`UPDATE conversations SET state = 'bot', title = 'back' WHERE chat_key = 'y'`) // moves in
    await c.db.query(`UPDATE conversations SET handler = 'someone' WHERE chat_key = 'y'`) // column not selected
    const r = await get(c, { ...qs, offset: s.offset, handle: s.handle })
    const ops = r.body.filter((m) => m.key).map((m) => [m.headers['operation'], m.value, m.old_value])
    expect(ops).toEqual([
      ['update', { id, state: 'bot', title: 'T' }, { title: null }],
      ['delete', { id, state: 'bot', title: 'T' }, undefined], // the old row, as it left
      ['insert', expect.objectContaining({ state: 'bot', title: 'back' }), undefined],
    ])
  })

  test('replica=default sends the key and changed columns only', async () => {
    const c = await cloud()
    const agent = await c.createAgent()
    const id = await addConversation(c, agent, 'x')
    const s = await catchUp(c, { table: 'conversations' }, c.agentHeaders(agent))
    await c.db.query(`UPDATE conversations SET title = 'new' WHERE id = $1::uuid`, [id])
    const r = await get(c, { table: 'conversations', offset: s.offset, handle: s.handle }, c.agentHeaders(agent))
    expect(r.body[0]!.value).toEqual({ id, title: 'new' })
  })

  test('bad parameters get 400 in Electric format, and a where cannot break out', async () => {
    const c = await cloud()
    const bad: [Record<string, string>, string][] = [
      [{ offset: '-1' }, 'table'],
      [{ table: 'conversations' }, 'offset'],
      [{ table: 'conversations', offset: 'abc' }, 'offset'],
      [{ table: 'conversations', offset: '1_0' }, 'handle'],
      [{ table: 'conversations', offset: '-1', live: 'true' }, 'live'],
      [{ table: 'users', offset: '-1' }, 'table'],
      [{ table: 'other.conversations', offset: '-1' }, 'table'],
      [{ table: 'conversations', offset: '-1', columns: 'state' }, 'columns'],
      [{ table: 'conversations', offset: '-1', columns: 'id,nope' }, 'columns'],
      [{ table: 'conversations', offset: '-1', where: '1=1) OR (1=1' }, 'where'],
      [{ table: 'conversations', offset: '-1', where: 'true; DELETE FROM messages' }, 'where'],
      [{ table: 'conversations', offset: '-1', where: 'state = $1' }, 'where'],
      [{ table: 'conversations', offset: '-1', where: 'no_column = 1' }, 'where'],
      [{ table: 'conversations', offset: '-1', where: 'pg_sleep(10) IS NULL' }, 'where'],
      [{ table: 'conversations', offset: '-1', replica: 'half' }, 'replica'],
    ]
    for (const [qs, field] of bad) {
      const r = await get(c, qs)
      expect(r.status, JSON.stringify(qs)).toBe(400)
      expect(r.body.message).toBe('Invalid request')
      expect(Object.keys(r.body.errors!)).toEqual([field])
    }
  })

  test('an agent receives only its own rows, whatever it sends', async () => {
    const c = await cloud()
    const mine = await c.createAgent('mine')
    const theirs = await c.createAgent('theirs')
    await addConversation(c, mine, 'm')
    await addConversation(c, theirs, 't')
    const s = await catchUp(c, { table: 'conversations' }, c.agentHeaders(mine))
    expect(s.msgs.map((m) => m.value!['chat_key'])).toEqual(['m'])
    for (const qs of [
      { where: '1=1) OR (1=1' },
      { where: 'true' },
      { where: `agent_id = $1`, 'params[1]': theirs },
      { table: 'agents' },
      { table: 'users' },
      { columns: 'id,secret_hash' },
    ]) {
      const r = await get(c, { table: 'conversations', offset: '-1', ...qs }, c.agentHeaders(mine))
      expect(r.status, JSON.stringify(qs)).toBe(400)
    }
    // Another agent's handle: must-refetch with the caller's own handle, never their rows.
    const other = await catchUp(c, { table: 'conversations' }, c.agentHeaders(theirs))
    const r = await get(c, { table: 'conversations', offset: other.offset, handle: other.handle }, c.agentHeaders(mine))
    expect(r.status).toBe(409)
    expect(r.headers.get('electric-handle')).toBe(s.handle)
    expect(r.body).toEqual([{ headers: { control: 'must-refetch' } }])
  })

  test('truncate and DELETE /v1/shape invalidate the handle: 409 with a new one', async () => {
    const c = await cloud()
    await c.db.query(`INSERT INTO faq (id, question, answer) VALUES ($1::uuid, 'q', 'a')`, [newId()])
    const s = await catchUp(c, { table: 'faq' })
    await c.db.exec(`TRUNCATE faq CASCADE`)
    const r = await get(c, { table: 'faq', offset: s.offset, handle: s.handle })
    expect(r.status).toBe(409)
    expect(r.headers.get('content-type')).toContain('application/json')
    const h2 = r.headers.get('electric-handle')!
    expect(h2).not.toBe(s.handle)
    const s2 = await catchUp(c, { table: 'faq' })
    expect(s2.handle).toBe(h2)
    expect(s2.msgs).toEqual([])
    const del = await fetch(`${c.url}/v1/shape?${new URLSearchParams({ table: 'faq', handle: h2 })}`, { method: 'DELETE', headers: c.adminHeaders })
    expect(del.status).toBe(202)
    const r3 = await get(c, { table: 'faq', offset: s2.offset, handle: h2 })
    expect(r3.status).toBe(409)
    expect(r3.headers.get('electric-handle')).not.toBe(h2)
    const missing = await fetch(`${c.url}/v1/shape?handle=nope`, { method: 'DELETE', headers: c.adminHeaders })
    expect(missing.status).toBe(404)
  })

  test('a live request times out with up-to-date and the same offset; offset=now skips history', async () => {
    const c = await cloud(300)
    const agent = await c.createAgent()
    await addConversation(c, agent, 'old')
    const s = await catchUp(c, { table: 'conversations' }, c.agentHeaders(agent))
    const t0 = Date.now()
    const r = await get(c, { table: 'conversations', offset: s.offset, handle: s.handle, live: 'true', cursor: '' }, c.agentHeaders(agent))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
    expect(r.status).toBe(200)
    expect(r.body).toEqual([{ headers: { control: 'up-to-date', global_last_seen_lsn: expect.stringMatching(/^\d+$/) } }])
    expect(r.headers.get('electric-offset')).toBe(s.offset)
    expect(r.headers.get('electric-cursor')).toMatch(/^\d+$/)
    const now = await get(c, { table: 'conversations', offset: 'now' }, c.agentHeaders(agent))
    expect(now.body).toEqual([{ headers: { control: 'up-to-date', global_last_seen_lsn: expect.stringMatching(/^\d+$/) } }])
  })

  test('handles and LSNs survive a cloud restart; a stored cursor resumes exactly', async () => {
    const c = await startTestCloud({ engine: 'postgres' })
    const agent = await c.createAgent()
    await addConversation(c, agent, 'before')
    const s = await catchUp(c, { table: 'conversations' }, c.agentHeaders(agent))
    const lsnBefore = BigInt(s.last.body.at(-1)!.headers['global_last_seen_lsn'] as string)
    await c.close() // keeps the database
    const c2 = await startTestCloud({ db: c.db })
    clouds.push({ ...c2, destroy: async () => { await c2.close(); await c.dropDb() } })
    await addConversation(c2, agent, 'after')
    const r = await get(c2, { table: 'conversations', offset: s.offset, handle: s.handle }, c2.agentHeaders(agent))
    expect(r.status).toBe(200)
    const rows = r.body.filter((m) => m.key)
    expect(rows.map((m) => m.value!['chat_key'])).toEqual(['after'])
    expect(BigInt(rows[0]!.headers['lsn'] as string) > lsnBefore).toBe(true)
    const fresh = await get(c2, { table: 'conversations', offset: '-1' }, c2.agentHeaders(agent))
    expect(fresh.headers.get('electric-handle')).toBe(s.handle) // same definition, same live handle
  })
})
