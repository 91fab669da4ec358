/**
 * Slow, salted hashes for agent secrets and user passwords (scrypt from node:crypto; argon2 is
 * not installed). The stored form carries its own parameters, so the cost can be raised later
 * and old hashes still verify:
 *
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const KEY_LEN = 32
const SALT_LEN = 16
const R = 8
const P = 1
/** A stored hash asking for more than this is refused rather than allowed to exhaust memory. */
const MAX_LOG_N = 20

export interface PasswordHasher {
  hash(secret: string): Promise<string>
  /**
   * Whether `secret` matches `stored`. With `stored` null (no such account) it still spends the
   * same time on a dummy hash, so response times do not tell which accounts exist.
   */
  verify(secret: string, stored: string | null): Promise<boolean>
}

export interface PasswordHasherOptions {
  /** log2 of scrypt's N; 15 (32 MiB, ~0.1 s) by default. Tests use 10. */
  logN?: number
}

export const defaultPasswordHasherOptions = { logN: 15 } as const satisfies PasswordHasherOptions

function derive(secret: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN
  const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }
  return new Promise((resolve, reject) =>
    scrypt(secret.normalize('NFC'), salt, KEY_LEN, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  )
}

interface Parsed {
  logN: number
  r: number
  p: number
  salt: Buffer
  hash: Buffer
}

function parse(stored: string): Parsed | null {
  const m =
    /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{16,})$/.exec(
      stored,
    )
  if (!m) return null
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (logN < 1 || logN > MAX_LOG_N || r < 1 || p < 1) return null
  return {
    logN,
    r,
    p,
    salt: Buffer.from(m[4]!, 'base64url'),
    hash: Buffer.from(m[5]!, 'base64url'),
  }
}

export function createPasswordHasher(o: PasswordHasherOptions = {}): PasswordHasher {
  const logN = o.logN ?? defaultPasswordHasherOptions.logN
  let dummy: Promise<string> | null = null
  const hash = async (secret: string): Promise<string> => {
    const salt = randomBytes(SALT_LEN)
    const key = await derive(secret, salt, logN, R, P)
    return `scrypt$${logN}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`
  }
  return {
    hash,
    async verify(secret, stored) {
      const parsed = stored === null ? null : parse(stored)
      if (!parsed) {
        dummy ??= hash('kefu-dummy-secret')
        const d = parse(await dummy)!
        await derive(secret, d.salt, d.logN, d.r, d.p)
        return false
      }
      const key = await derive(secret, parsed.salt, parsed.logN, parsed.r, parsed.p)
      return key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash)
    },
  }
}

/** A new random credential: `<prefix>_<43 base64url chars>` (256 bits). */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}
