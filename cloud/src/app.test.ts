import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newId } from '@kefu/schema'
import { startTestCloud, type TestCloud } from './testing/test-cloud.ts'

describe('cloud HTTP basics (embedded PGlite)', () => {
  let c: TestCloud
  beforeAll(async () => {
    c = await startTestCloud()
  })
  afterAll(async () => c.destroy())

  test('health reports the database, its engine and schema version', async () => {
    const r = await fetch(`${c.url}/api/v1/health`)
    expect(r.status).toBe(200)
    const body = (await r.json()) as { status: string; database: { ok: boolean; engine: string; schema_version: number } }
    expect(body.status).toBe('ok')
    expect(body.database).toMatchObject({ ok: true, engine: 'pglite' })
    expect(body.database.schema_version).toBeGreaterThanOrEqual(3)
  })

  test('/metrics serves every metric named in the design', async () => {
    const text = await (await fetch(`${c.url}/metrics`)).text()
    for (const name of [
      'agent_online_count',
      'message_received_total',
      'message_sent_total',
      'ai_request_duration_seconds',
      'rag_search_duration_seconds',
      'db_query_duration_seconds',
      'error_count_total',
      'sync_lag_seconds',
      'outbox_depth',
    ])
      expect(text).toContain(`# TYPE ${name} `)
  })

  test('a bad request gets a 400 naming the field, and writes nothing', async () => {
    const agent = await c.createAgent()
    const r = await fetch(`${c.url}/api/v1/changes`, {
      method: 'POST',
      headers: { ...c.agentHeaders(agent), 'content-type': 'application/json' },
      body: JSON.stringify({
        changes: [{ id: newId(), kind: 'insert_conversation', row: { id: newId(), agent_id: agent, chat_key: '', kind: 'direct', title: null, customer_id: null } }],
      }),
    })
    expect(r.status).toBe(400)
    const body = (await r.json()) as { error: { code: string; message: string; field: string } }
    expect(body.error.code).toBe('invalid')
    expect(body.error.field).toBe('changes[0].row.chat_key')
    expect(body.error.message).toContain('changes[0].row.chat_key')
    const n = await c.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM conversations`)
    expect(n[0]!.n).toBe(0)
  })

  test('malformed JSON is a 400, not a 500', async () => {
    const agent = await c.createAgent()
    const r = await fetch(`${c.url}/api/v1/changes`, {
      method: 'POST',
      headers: { ...c.agentHeaders(agent), 'content-type': 'application/json' },
      body: '{"changes": [',
    })
    expect(r.status).toBe(400)
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/JSON/)
  })

  test('every response carries its request id: the one given, or a new one', async () => {
    const agent = await c.createAgent()
    const shape = (id?: string) =>
      fetch(`${c.url}/v1/shape?table=faq&offset=-1`, {
        headers: { ...c.agentHeaders(agent), ...(id ? { 'x-request-id': id } : {}) },
      })
    const given = await shape('req-7')
    expect([given.status, given.headers.get('x-request-id')]).toEqual([200, 'req-7'])
    expect(given.headers.get('access-control-expose-headers')).toMatch(/electric-offset/)
    const made = await shape()
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const refused = await shape('not valid!')
    expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const denied = await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: { 'x-request-id': 'req-8' } })
    expect([denied.status, denied.headers.get('x-request-id')]).toEqual([401, 'req-8'])
  })

  test('unknown routes are 404 and missing credentials 401', async () => {
    expect((await fetch(`${c.url}/api/v1/nope`)).status).toBe(404)
    expect((await fetch(`${c.url}/v1/shape?table=messages&offset=-1`)).status).toBe(401)
  })

  test('an unexpected failure is a logged 500 carrying a request id', async () => {
    const agent = await c.createAgent()
    // Break the database under the route: the error must surface as a 500 with a request id.
    await c.db.exec(`ALTER TABLE applied_changes RENAME TO applied_changes_gone`)
    try {
      const r = await fetch(`${c.url}/api/v1/changes`, {
        method: 'POST',
        headers: { ...c.agentHeaders(agent), 'content-type': 'application/json', 'x-request-id': 'req-42' },
        body: JSON.stringify({ changes: [{ id: newId(), kind: 'update_message', pk: newId(), set: { answered_by: 'local' } }] }),
      })
      expect(r.status).toBe(500)
      expect(await r.json()).toEqual({ error: { code: 'internal', message: 'internal error', request_id: 'req-42' } })
    } finally {
      await c.db.exec(`ALTER TABLE applied_changes_gone RENAME TO applied_changes`)
    }
  })
})
