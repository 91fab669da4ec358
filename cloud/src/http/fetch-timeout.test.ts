import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { deadlineSignal, fetchWithTimeout, OutboundTimeoutError } from './fetch-timeout.ts'

describe('fetchWithTimeout', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    // /slow never answers; /drip sends headers at once and the body never ends; /ok answers.
    server = createServer((req, res) => {
      if (req.url === '/ok') res.end('ok')
      else if (req.url === '/drip') {
        res.writeHead(200)
        res.write('a')
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  test('answers within the deadline pass through', async () => {
    expect(await (await fetchWithTimeout(`${url}/ok`, { timeoutMs: 1000 })).text()).toBe('ok')
  })

  test('a silent server ends in OutboundTimeoutError naming only the host', async () => {
    const t0 = Date.now()
    const err = await fetchWithTimeout(`${url}/slow?api_key=secret`, { timeoutMs: 150 }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(OutboundTimeoutError)
    expect((err as Error).message).not.toContain('secret')
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  test('the deadline covers the body too', async () => {
    const r = await fetchWithTimeout(`${url}/drip`, { timeoutMs: 200 })
    await expect(r.text()).rejects.toThrow()
  })

  test("the caller's abort is reported as the caller's, not as a timeout", async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 50)
    const err = await fetchWithTimeout(`${url}/slow`, { timeoutMs: 5000, signal: ac.signal }).catch(
      (e: unknown) => e,
    )
    expect(err).not.toBeInstanceOf(OutboundTimeoutError)
    expect((err as Error).name).toBe('AbortError')
  })

  test('deadlineSignal fires at the deadline or with its parent', async () => {
    const s = deadlineSignal(50)
    await new Promise((r) => setTimeout(r, 100))
    expect(s.aborted).toBe(true)
    const parent = new AbortController()
    const child = deadlineSignal(10_000, parent.signal)
    parent.abort()
    expect(child.aborted).toBe(true)
  })
})
