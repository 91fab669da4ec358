/**
 * `--tls-cert/--tls-key`: the cloud serves HTTPS with TLS 1.2+ and refuses TLS 1.1. A throwaway
 * server that does accept TLS 1.1 proves the refusing client really speaks it (OpenSSL 3 turns
 * TLS 1.1 off in clients at its default security level, which would make the test vacuous).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { connect, createServer, type Server, type TLSSocket } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'

type Outcome = { ok: true; protocol: string | null } | { ok: false; error: string }

function handshake(
  port: number,
  ca: Buffer,
  min: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3',
  max: typeof min,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const s: TLSSocket = connect({
      host: '127.0.0.1',
      port,
      ca,
      servername: 'localhost',
      minVersion: min,
      maxVersion: max,
      // Security level 0 lets this client offer TLS 1.1 at all.
      ciphers: 'DEFAULT@SECLEVEL=0',
    })
    s.once('secureConnect', () => {
      resolve({ ok: true, protocol: s.getProtocol() })
      s.end()
    })
    s.once('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, error: `${err.code ?? ''} ${err.message}` }),
    )
  })
}

describe('TLS', () => {
  let dir: string
  let cert: Buffer
  let key: Buffer
  let c: TestCloud
  let legacy: Server
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kefu-tls-'))
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    cert = readFileSync(join(dir, 'cert.pem'))
    key = readFileSync(join(dir, 'key.pem'))
    c = await startTestCloud({
      env: { KEFU_TLS_CERT: join(dir, 'cert.pem'), KEFU_TLS_KEY: join(dir, 'key.pem') },
    })
    legacy = createServer(
      { cert, key, minVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
      (s) => s.end(),
    )
    await new Promise<void>((r) => legacy.listen(0, '127.0.0.1', r))
  })
  afterAll(async () => {
    await c?.destroy()
    await new Promise((r) => legacy?.close(r))
    rmSync(dir, { recursive: true, force: true })
  })

  test('the cloud answers over HTTPS with the configured certificate', async () => {
    expect(c.url).toMatch(/^https:\/\//)
    const { status, body } = await new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${c.url}/api/v1/health`,
          { ca: cert, servername: 'localhost' },
          (res) => {
            let body = ''
            res.on('data', (d: Buffer) => (body += d.toString()))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          },
        )
        req.on('error', reject)
        req.end()
      },
    )
    expect(status).toBe(200)
    expect(JSON.parse(body)).toMatchObject({ status: 'ok' })
  })

  test('TLS 1.2 and 1.3 are accepted; TLS 1.1 is refused by the server', async () => {
    expect(await handshake(c.port, cert, 'TLSv1.3', 'TLSv1.3')).toEqual({
      ok: true,
      protocol: 'TLSv1.3',
    })
    expect(await handshake(c.port, cert, 'TLSv1.2', 'TLSv1.2')).toEqual({
      ok: true,
      protocol: 'TLSv1.2',
    })
    // Control: this client completes a TLS 1.1 handshake with a server that allows it…
    const port = (legacy.address() as AddressInfo).port
    expect(await handshake(port, cert, 'TLSv1.1', 'TLSv1.1')).toEqual({
      ok: true,
      protocol: 'TLSv1.1',
    })
    // …and the cloud refuses the very same client.
    const refused = await handshake(c.port, cert, 'TLSv1.1', 'TLSv1.1')
    expect(refused.ok).toBe(false)
    expect(refused.ok ? '' : refused.error).toMatch(
      /protocol version|PROTOCOL_VERSION|unsupported protocol|UNSUPPORTED_PROTOCOL/i,
    )
  })
})
