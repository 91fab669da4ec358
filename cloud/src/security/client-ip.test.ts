import { describe, expect, test } from 'vitest'
import { Hono } from 'hono'
import { clientIp, parseTrustProxy } from './client-ip.ts'

describe('client address', () => {
  test('KEFU_TRUST_PROXY: unset/false → 0 hops, true → 1, numbers as given, anything else refused', () => {
    expect([undefined, '', 'false', '0', 'off'].map(parseTrustProxy)).toEqual([0, 0, 0, 0, 0])
    expect(['true', 'YES', '1', '2'].map(parseTrustProxy)).toEqual([1, 1, 1, 2])
    expect(parseTrustProxy('maybe')).toBeNull()
    expect(parseTrustProxy('-1')).toBeNull()
  })

  const app = (hops: number) => new Hono().get('/', (c) => c.text(clientIp(c, hops) ?? 'none'))
  const ask = async (hops: number, xff?: string) =>
    (
      await app(hops).request(
        '/',
        { headers: xff ? { 'x-forwarded-for': xff } : {} },
        { incoming: { socket: { remoteAddress: '10.0.0.9' } } },
      )
    ).text()

  test('the socket peer unless proxies are trusted; then the entry those proxies appended', async () => {
    expect(await ask(0, '1.2.3.4')).toBe('10.0.0.9')
    expect(await ask(1)).toBe('10.0.0.9')
    expect(await ask(1, '6.6.6.6, 1.2.3.4')).toBe('1.2.3.4')
    expect(await ask(2, '6.6.6.6, 1.2.3.4, 10.0.0.8')).toBe('1.2.3.4')
    expect(await ask(3, '1.2.3.4')).toBe('1.2.3.4')
    expect(await ask(1, 'garbage')).toBe('10.0.0.9')
    expect(await ask(1, '2001:db8::1')).toBe('2001:db8::1')
  })

  test('no socket (in-process request) is no address, not a crash', async () => {
    expect(await (await app(0).request('/')).text()).toBe('none')
  })
})
