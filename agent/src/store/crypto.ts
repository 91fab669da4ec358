/**
 * Encryption at rest for everything the agent writes to disk: AES-256-GCM with a fresh random
 * 96-bit nonce per encryption. Layout of a sealed blob: version(1) | nonce(12) | tag(16) | data.
 * The key comes from Electron safeStorage (a random key it protects) or, headless, from a
 * passphrase through scrypt; a key check file tells a wrong key apart from corrupt data.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type Decipher } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const scrypt = promisify(scryptCb) as (pw: string | Buffer, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>

const VERSION = 1
/** version(1) | nonce(12) | tag(16) */
const HEADER = 29
export const KEY_BYTES = 32

export class WrongKeyError extends Error {
  constructor() {
    super('the key does not open this agent data folder (wrong passphrase?); nothing was changed')
    this.name = 'WrongKeyError'
  }
}

export class CorruptDataError extends Error {
  constructor(what: string) {
    super(`encrypted ${what} failed authentication: it was altered or truncated`)
    this.name = 'CorruptDataError'
  }
}

/** Seals and opens blobs with one 256-bit key. */
export interface Cipher {
  /** Seals one blob; given chunks, seals their concatenation without concatenating them first. */
  seal(plain: Uint8Array | readonly Uint8Array[], aad?: string): Buffer
  open(sealed: Uint8Array, aad?: string): Buffer
  /**
   * Opens a sealed blob piece by piece, given whole (opened `chunkBytes` at a time) or as the
   * pieces it was read in, so that a large one is never held whole, nor twice. The pieces
   * are not authenticated until the generator has finished: it throws `CorruptDataError` at
   * its end if they were altered; use them only after that.
   */
  openChunks(sealed: Uint8Array | Iterable<Uint8Array>, aad?: string, chunkBytes?: number): Generator<Buffer, void, undefined>
  sealJson(v: unknown, aad?: string): Buffer
  openJson<T>(sealed: Uint8Array, aad?: string): T
  /**
   * A stable pseudonym for a name that must be looked up but not read (a chat's key holds the
   * customer's WeChat name): HMAC-SHA256 under a subkey of the data key, base64url.
   */
  pseudonym(name: string): string
}

function* split(b: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < b.length; at += size) yield b.subarray(at, at + size)
}

export function createCipher(key: Buffer): Cipher {
  if (key.length !== KEY_BYTES) throw new Error('the key must be 32 bytes')
  const seal = (plain: Uint8Array | readonly Uint8Array[], aad = ''): Buffer => {
    const parts = plain instanceof Uint8Array ? [plain] : plain
    const nonce = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', key, nonce)
    c.setAAD(Buffer.from(aad))
    // GCM keeps the length: the sealed blob is written in place, part by part.
    const out = Buffer.allocUnsafe(HEADER + parts.reduce((n, p) => n + p.byteLength, 0))
    out[0] = VERSION
    nonce.copy(out, 1)
    let at = HEADER
    for (const p of parts) at += c.update(p).copy(out, at)
    at += c.final().copy(out, at)
    c.getAuthTag().copy(out, 13)
    return out.subarray(0, at)
  }
  const decipher = (sealed: Uint8Array, aad: string) => {
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
    if (b.length < HEADER || b[0] !== VERSION) throw new CorruptDataError(aad || 'blob')
    const d = createDecipheriv('aes-256-gcm', key, b.subarray(1, 13))
    d.setAAD(Buffer.from(aad))
    d.setAuthTag(b.subarray(13, HEADER))
    return { d, data: b.subarray(HEADER) }
  }
  const open = (sealed: Uint8Array, aad = ''): Buffer => {
    const { d, data } = decipher(sealed, aad)
    try {
      return Buffer.concat([d.update(data), d.final()])
    } catch {
      throw new CorruptDataError(aad || 'blob')
    }
  }
  function* openChunks(sealed: Uint8Array | Iterable<Uint8Array>, aad = '', chunkBytes = 1 << 20): Generator<Buffer, void, undefined> {
    const pieces = sealed instanceof Uint8Array ? split(sealed, chunkBytes) : sealed
    const head = Buffer.alloc(HEADER)
    let headFill = 0
    let d: Decipher | null = null
    for (const piece of pieces) {
      let p = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
      if (!d) {
        const n = Math.min(HEADER - headFill, p.length)
        p.copy(head, headFill, 0, n)
        headFill += n
        p = p.subarray(n)
        if (headFill < HEADER) continue
        d = decipher(head, aad).d
      }
      if (p.length > 0) yield d.update(p)
    }
    if (!d) throw new CorruptDataError(aad || 'blob')
    let last: Buffer
    try {
      last = d.final()
    } catch {
      throw new CorruptDataError(aad || 'blob')
    }
    if (last.length > 0) yield last
  }
  const nameKey = createHmac('sha256', key).update('kefu-pseudonym-v1').digest()
  return {
    seal,
    open,
    openChunks,
    sealJson: (v, aad) => seal(Buffer.from(JSON.stringify(v)), aad),
    openJson: <T>(s: Uint8Array, aad?: string) => JSON.parse(open(s, aad).toString('utf8')) as T,
    pseudonym: (name) => createHmac('sha256', nameKey).update(name).digest('base64url'),
  }
}

interface KeyFile {
  v: 1
  kdf: 'scrypt' | 'raw'
  salt: string
  N: number
  r: number
  p: number
  /** A sealed known value: opening it proves the key is right before anything is touched. */
  check: string
}

const CHECK = 'kefu-agent-key-check'
const KEYFILE = 'key.json'

function writeAtomic(path: string, data: string): void {
  writeFileSync(`${path}.tmp`, data, { mode: 0o600 })
  renameSync(`${path}.tmp`, path)
}

function verify(file: KeyFile, key: Buffer): void {
  try {
    const got = createCipher(key).open(Buffer.from(file.check, 'base64'), 'key-check')
    if (!timingSafeEqual(got, Buffer.from(CHECK))) throw new WrongKeyError()
  } catch {
    throw new WrongKeyError()
  }
}

/**
 * Throws `WrongKeyError` unless `key` opens the key check of `dataDir` (a folder without one
 * is left alone). Nothing in the folder is opened or written before this passes.
 */
export function assertKeyOpens(dataDir: string, key: Buffer): void {
  const path = join(dataDir, KEYFILE)
  if (existsSync(path)) verify(JSON.parse(readFileSync(path, 'utf8')) as KeyFile, key)
}

/**
 * The data key of an agent folder from a passphrase (headless agents). The first call creates
 * the salt and key check; later calls with another passphrase throw `WrongKeyError`.
 */
export async function keyFromPassphrase(dataDir: string, passphrase: string, cost = { N: 1 << 15, r: 8, p: 1 }): Promise<Buffer> {
  if (!passphrase) throw new Error('a passphrase is required to open the agent data')
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, KEYFILE)
  const derive = (salt: Buffer, c: { N: number; r: number; p: number }) =>
    scrypt(passphrase.normalize('NFC'), salt, KEY_BYTES, { ...c, maxmem: 256 * c.N * c.r })
  if (existsSync(path)) {
    const file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile
    const key = await derive(Buffer.from(file.salt, 'base64'), file)
    verify(file, key)
    return key
  }
  const salt = randomBytes(16)
  const key = await derive(salt, cost)
  const file: KeyFile = { v: 1, kdf: 'scrypt', salt: salt.toString('base64'), ...cost, check: createCipher(key).seal(Buffer.from(CHECK), 'key-check').toString('base64') }
  writeAtomic(path, JSON.stringify(file))
  return key
}

/**
 * The data key when an OS keystore provides it (Electron `safeStorage` protects a random key
 * and hands it over): records a key check on first use and verifies it afterwards.
 */
export function keyFromRaw(dataDir: string, key: Buffer): Buffer {
  if (key.length !== KEY_BYTES) throw new Error('the key must be 32 bytes')
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, KEYFILE)
  if (existsSync(path)) {
    verify(JSON.parse(readFileSync(path, 'utf8')) as KeyFile, key)
    return key
  }
  const file: KeyFile = { v: 1, kdf: 'raw', salt: '', N: 0, r: 0, p: 0, check: createCipher(key).seal(Buffer.from(CHECK), 'key-check').toString('base64') }
  writeAtomic(path, JSON.stringify(file))
  return key
}
