import { afterAll, beforeAll, expect, test } from 'vitest'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequestFetch, requestFetch } from './request-fetch.ts'

let server: Server
let base = ''
const held: ServerResponse[] = []
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/shape') {
      res.setHeader('content-type', 'application/json')
      res.setHeader('electric-handle', 'h-1')
      res.setHeader('electric-offset', '10_0')
      res.setHeader('x-echo-secret', String(req.headers['x-kefu-agent-secret']))
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.end(
        JSON.stringify([
          { headers: { control: 'up-to-date' }, q: url.searchParams.get('q') },
          '客服',
        ]),
      )
    } else if (url.pathname === '/empty') {
      res.writeHead(204).end()
    } else if (url.pathname === '/gone') {
      res
        .writeHead(409, { 'content-type': 'application/json' })
        .end('[{"headers":{"control":"must-refetch"}}]')
    } else if (url.pathname === '/moved') {
      res.writeHead(302, { location: '/shape?q=moved' }).end()
    } else if (url.pathname === '/echo') {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => (body += c))
      req.on('end', () => res.end(`${req.method} ${body}`))
    } else if (url.pathname === '/hold') {
      held.push(res) // a long poll that never answers
    } else if (url.pathname === '/half') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[{"headers":') // the rest never comes
      held.push(res)
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  for (const r of held) r.destroy()
  server.closeAllConnections() // the pool's idle keep-alive ones too
  await new Promise((r) => server.close(r))
})

test('a response arrives as fetch gives it: status, headers, body', async () => {
  const res = await requestFetch(`${base}/shape?q=一`, {
    headers: new Headers({ 'x-kefu-agent-secret': 's3' }),
  })
  expect(res.status).toBe(200)
  expect(res.ok).toBe(true)
  expect(res.headers.get('electric-handle')).toBe('h-1')
  expect(res.headers.get('electric-offset')).toBe('10_0')
  expect(res.headers.get('x-echo-secret')).toBe('s3')
  expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
  expect(await res.json()).toEqual([{ headers: { control: 'up-to-date' }, q: '一' }, '客服'])
  // The same against Node's fetch, header by header.
  const ref = await fetch(`${base}/shape?q=一`, { headers: { 'x-kefu-agent-secret': 's3' } })
  const without = (h: Headers) =>
    [...h].filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k))
  expect(without(res.headers)).toEqual(without(ref.headers))
  await ref.text()
})

test('no body where there is none; errors are responses; redirects are followed; bodies are sent', async () => {
  const empty = await requestFetch(`${base}/empty`)
  expect(empty.status).toBe(204)
  expect(empty.body).toBeNull()
  const gone = await requestFetch(`${base}/gone`)
  expect(gone.status).toBe(409)
  expect(gone.ok).toBe(false)
  expect(await gone.json()).toEqual([{ headers: { control: 'must-refetch' } }])
  const moved = await requestFetch(`${base}/moved`)
  expect(moved.status).toBe(200)
  expect((await moved.json())[0].q).toBe('moved')
  const echo = await requestFetch(`${base}/echo`, { method: 'POST', body: '{"x":1}' })
  expect(await echo.text()).toBe('POST {"x":1}')
  await expect(
    requestFetch(`${base}/echo`, { method: 'POST', body: new Blob(['x']) }),
  ).rejects.toThrow(TypeError)
})

test('an abort ends a held request, also mid-body, with the signal’s reason', async () => {
  const a = new AbortController()
  const pending = requestFetch(`${base}/hold`, { signal: a.signal })
  await new Promise((r) => setTimeout(r, 50))
  a.abort()
  await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
  const b = new AbortController()
  const half = requestFetch(`${base}/half`, { signal: b.signal })
  await new Promise((r) => setTimeout(r, 50))
  b.abort(new Error('refresh'))
  await expect(half).rejects.toThrow('refresh')
  const c = new AbortController()
  c.abort()
  await expect(requestFetch(`${base}/shape`, { signal: c.signal })).rejects.toMatchObject({
    name: 'AbortError',
  })
})

test('a network failure rejects with fetch’s TypeError and its cause', async () => {
  const closed = createServer()
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
  const port = (closed.address() as AddressInfo).port
  await new Promise((r) => closed.close(r))
  const err = await requestFetch(`http://127.0.0.1:${port}/shape`).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(TypeError)
  expect((err as TypeError).message).toBe('fetch failed')
  expect(((err as TypeError).cause as { code?: string }).code).toBe('ECONNREFUSED')
})

test('a connection that stays silent past the timeout fails the request, as a network failure', async () => {
  const quick = createRequestFetch({ headersTimeoutMs: 300 })
  const started = Date.now()
  const err = await quick(`${base}/hold`).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(TypeError)
  expect((err as TypeError).message).toBe('fetch failed')
  expect(((err as TypeError).cause as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT')
  expect(Date.now() - started).toBeLessThan(5000)
  // A response that starts in time is not cut.
  expect((await quick(`${base}/shape`)).status).toBe(200)
})
