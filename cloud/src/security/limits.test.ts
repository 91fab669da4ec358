import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newId } from '@kefu/schema'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'

type Err = { error: { code: string; message: string; field?: string; retry_after_s?: number } }

describe('rate limits', () => {
  let c: TestCloud
  beforeAll(async () => {
    c = await startTestCloud({
      env: {
        KEFU_RATE_LIMIT_BURST: '5',
        KEFU_RATE_LIMIT_PER_SEC: '0.5',
        KEFU_LOGIN_RATE_LIMIT: '3',
        KEFU_TRUST_PROXY: '1',
      },
    })
  })
  afterAll(async () => c.destroy())

  const login = (agentId: string, ip: string) =>
    fetch(`${c.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ agent_id: agentId, secret: 'wrong' }),
    })

  test('each agent and each user has its own bucket: 429 with Retry-After past the burst', async () => {
    const a = await c.createAgent('busy')
    const b = await c.createAgent('calm')
    const statuses: number[] = []
    let last: Response | null = null
    for (let i = 0; i < 7; i++) {
      last = await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: c.agentHeaders(a) })
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    const body = (await last!.json()) as Err
    expect(body.error).toMatchObject({
      code: 'rate_limited',
      retry_after_s: Number(last!.headers.get('retry-after')),
    })
    // Another agent, and the admin, are not affected.
    expect(
      (await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: c.agentHeaders(b) })).status,
    ).toBe(200)
    expect(
      (await fetch(`${c.url}/v1/shape?table=faq&offset=-1`, { headers: c.adminHeaders })).status,
    ).toBe(200)
  })

  test('login attempts are limited per client address and per account', async () => {
    const target = newId()
    const fromOne = [] as number[]
    for (let i = 0; i < 4; i++) fromOne.push((await login(newId(), '198.51.100.1')).status)
    expect(fromOne).toEqual([401, 401, 401, 429])
    // Spread over many addresses, one account still gets only its 3 attempts.
    const spread = [] as number[]
    for (let i = 0; i < 4; i++) spread.push((await login(target, `198.51.100.${10 + i}`)).status)
    expect(spread).toEqual([401, 401, 401, 429])
  })
})

describe('body limits and malformed input', () => {
  let c: TestCloud
  let agent: string
  beforeAll(async () => {
    c = await startTestCloud({ env: { KEFU_MAX_BODY_BYTES: '4096' } })
    agent = await c.createAgent()
  })
  afterAll(async () => c.destroy())

  const changes = (
    body: BodyInit,
    headers: Record<string, string> = { 'content-type': 'application/json' },
    extra: RequestInit = {},
  ) =>
    fetch(`${c.url}/api/v1/changes`, {
      method: 'POST',
      headers: { ...c.agentHeaders(agent), ...headers },
      body,
      ...extra,
    })

  test('an oversized body is 413, declared or streamed', async () => {
    const big = JSON.stringify({ changes: [], pad: 'x'.repeat(10_000) })
    const declared = await changes(big)
    expect(declared.status).toBe(413)
    expect(((await declared.json()) as Err).error.code).toBe('too_large')
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < 10; i++) ctl.enqueue(new TextEncoder().encode('x'.repeat(1000)))
        ctl.close()
      },
    })
    const streamed = await changes(stream, { 'content-type': 'application/json' }, {
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
  })

  test('malformed bodies and text Postgres cannot hold are 400, never 500', async () => {
    const cases: [BodyInit, Record<string, string>, number][] = [
      ['{"changes": [', { 'content-type': 'application/json' }, 400],
      [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), { 'content-type': 'application/json' }, 400],
      ['{"changes": []}', { 'content-type': 'text/plain' }, 415],
      ['[]'.repeat(1), { 'content-type': 'application/json' }, 400],
      ['['.repeat(1500) + ']'.repeat(1500), { 'content-type': 'application/json' }, 400],
      ['{"changes":[{"id":"\\u0000"}]}', { 'content-type': 'application/json' }, 400],
      ['{"changes\\u0000":1}', { 'content-type': 'application/json' }, 400],
      ['{"changes":[{"id":"\\udc00"}]}', { 'content-type': 'application/json' }, 400],
      ['null', { 'content-type': 'application/json' }, 400],
      ['"\u202e"', { 'content-type': 'application/json' }, 400],
    ]
    for (const [body, headers, status] of cases) {
      const r = await changes(body, headers)
      expect(r.status, String(body).slice(0, 40)).toBe(status)
    }
    const nul = await changes(
      JSON.stringify({
        changes: [
          { id: newId(), kind: 'update_message', pk: newId(), set: { answered_by: 'lo\u0000cal' } },
        ],
      }),
    )
    expect(nul.status).toBe(400)
    expect(((await nul.json()) as Err).error.field).toBe('changes[0].set.answered_by')
  })

  test('NUL in a query parameter is a 400', async () => {
    const r = await fetch(`${c.url}/v1/shape?table=conversations&offset=-1&handle=%00`, {
      headers: c.agentHeaders(agent),
    })
    expect(r.status).toBe(400)
    const a = await fetch(`${c.url}/api/v1/admin/audit?actor=%00`, { headers: c.adminHeaders })
    expect(a.status).toBe(400)
  })
})
