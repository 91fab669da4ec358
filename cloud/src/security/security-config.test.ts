import { describe, expect, test } from 'vitest'
import { pino } from 'pino'
import { migrate, openPglite } from '@kefu/migrations'
import { cloudHelp, loadCloudConfig, trustProxyHops } from '../config.ts'
import { createSecurity } from './security.ts'

describe('security configuration', () => {
  test('defaults: 15-minute access tokens, limits on, X-Forwarded-For not believed', () => {
    const c = loadCloudConfig([], {})
    expect(c.accessTtlS).toBe(900)
    expect(c.rateLimitPerSec).toBeGreaterThan(0)
    expect(c.maxBodyBytes).toBe(1024 * 1024)
    expect(trustProxyHops(c)).toBe(0)
    expect(trustProxyHops(loadCloudConfig(['--trust-proxy', 'true'], {}))).toBe(1)
    expect(trustProxyHops(loadCloudConfig([], { KEFU_TRUST_PROXY: '2' }))).toBe(2)
  })

  test('refuses a short token key, an access TTL over 15 minutes and a nonsense proxy count', () => {
    expect(() => loadCloudConfig([], { KEFU_JWT_SECRET: 'short' })).toThrow(
      /KEFU_JWT_SECRET: must be at least 32/,
    )
    expect(() => loadCloudConfig([], { KEFU_ACCESS_TTL_S: '3600' })).toThrow(/KEFU_ACCESS_TTL_S/)
    expect(() => loadCloudConfig([], { KEFU_TRUST_PROXY: 'sometimes' })).toThrow(/KEFU_TRUST_PROXY/)
  })

  test('--help documents the security options without showing secrets', () => {
    const help = cloudHelp()
    for (const env of [
      'KEFU_JWT_SECRET',
      'KEFU_ACCESS_TTL_S',
      'KEFU_RATE_LIMIT_PER_SEC',
      'KEFU_LOGIN_RATE_LIMIT',
      'KEFU_TRUST_PROXY',
      'KEFU_MAX_BODY_BYTES',
    ])
      expect(help).toContain(env)
  })

  test('without KEFU_JWT_SECRET a random key is used and a warning logged (never the key)', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) })
    const db = await openPglite()
    try {
      const a = createSecurity({ db, logger })
      const b = createSecurity({ db, logger })
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatch(/KEFU_JWT_SECRET is not set/)
      // Two processes without a shared key do not accept each other's tokens.
      const subject = { kind: 'agent', id: '01a22126-10f5-7f3f-ab2c-a0122951b75c' } as const
      await migrate(db, 'cloud')
      const { tokens } = await a.tokens.issue(subject)
      expect(await a.tokens.verifyAccess(tokens.access_token)).not.toBeNull()
      expect(await b.tokens.verifyAccess(tokens.access_token)).toBeNull()
    } finally {
      await db.close()
    }
  })
})
