import { afterEach, describe, expect, test } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import {
  CorruptDataError,
  createCipher,
  keyFromPassphrase,
  keyFromRaw,
  WrongKeyError,
} from './crypto.ts'

// Cheap scrypt: the cost parameters are not what is under test.
const CHEAP = { N: 1 << 10, r: 8, p: 1 }
const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kefu-crypto-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const text = Buffer.from('您好，我的订单 A20240518 什么时候发货？')

describe('cipher (AES-256-GCM)', () => {
  test('the same plaintext sealed twice gives different ciphertexts (fresh nonce), both open', () => {
    const c = createCipher(randomBytes(32))
    const a = c.seal(text, 'x')
    const b = c.seal(text, 'x')
    expect(a.equals(b)).toBe(false)
    // version(1) | nonce(12) | tag(16) | data: the nonces differ, not only the data.
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false)
    expect(a.length).toBe(1 + 12 + 16 + text.length)
    expect(c.open(a, 'x').equals(text)).toBe(true)
    expect(c.open(b, 'x').equals(text)).toBe(true)
  })

  test('nonces do not repeat over many seals', () => {
    const c = createCipher(randomBytes(32))
    const nonces = new Set<string>()
    for (let i = 0; i < 5000; i++) nonces.add(c.seal(text).subarray(1, 13).toString('hex'))
    expect(nonces.size).toBe(5000)
  })

  test('the ciphertext does not contain the plaintext', () => {
    const c = createCipher(randomBytes(32))
    const sealed = c.seal(text)
    expect(sealed.includes(text)).toBe(false)
    expect(sealed.includes(Buffer.from('A20240518'))).toBe(false)
  })

  test('tampering with any byte, truncating, or another label → CorruptDataError', () => {
    const c = createCipher(randomBytes(32))
    const sealed = c.seal(text, 'outbox:1')
    for (const i of [0, 1, 12, 13, 28, 29, sealed.length - 1]) {
      const t = Buffer.from(sealed)
      t[i] = t[i]! ^ 0x01
      expect(() => c.open(t, 'outbox:1'), `byte ${i}`).toThrow(CorruptDataError)
    }
    expect(() => c.open(sealed.subarray(0, sealed.length - 1), 'outbox:1')).toThrow(
      CorruptDataError,
    )
    expect(() => c.open(sealed.subarray(0, 20), 'outbox:1')).toThrow(CorruptDataError)
    // The label (AAD) binds a blob to its place: a blob moved to another slot does not open.
    expect(() => c.open(sealed, 'outbox:2')).toThrow(CorruptDataError)
    expect(c.open(sealed, 'outbox:1').equals(text)).toBe(true)
  })

  test('another key cannot open a blob', () => {
    const sealed = createCipher(randomBytes(32)).seal(text)
    expect(() => createCipher(randomBytes(32)).open(sealed)).toThrow(CorruptDataError)
  })

  test('JSON round trip', () => {
    const c = createCipher(randomBytes(32))
    const v = { tail: ['customer||你好'], counts: { 'customer||你好': 2 } }
    expect(c.openJson(c.sealJson(v, 'kv:chat'), 'kv:chat')).toEqual(v)
  })

  test('a blob sealed from chunks opens as their concatenation, whole or piece by piece', () => {
    const c = createCipher(randomBytes(32))
    const parts = [randomBytes(1000), Buffer.alloc(0), randomBytes(70_000), text]
    const whole = Buffer.concat(parts)
    const sealed = c.seal(parts, 'img')
    expect(sealed.length).toBe(1 + 12 + 16 + whole.length)
    expect(c.open(sealed, 'img').equals(whole)).toBe(true)
    expect(Buffer.concat([...c.openChunks(sealed, 'img', 4096)]).equals(whole)).toBe(true)
    // Read back in odd pieces, the header itself split across them.
    const pieces = [
      sealed.subarray(0, 5),
      sealed.subarray(5, 40),
      sealed.subarray(40, 50_001),
      sealed.subarray(50_001),
    ]
    expect(Buffer.concat([...c.openChunks(pieces, 'img')]).equals(whole)).toBe(true)
  })

  test('opening piece by piece throws CorruptDataError at the end when a byte was changed or cut', () => {
    const c = createCipher(randomBytes(32))
    const sealed = c.seal([randomBytes(10_000), randomBytes(10_000)], 'img')
    const bad = Buffer.from(sealed)
    bad[bad.length - 100] = bad[bad.length - 100]! ^ 1
    const it = c.openChunks(bad, 'img', 4096)
    // The pieces before the end come out (unauthenticated); the end refuses them all.
    expect(it.next().done).toBe(false)
    expect(() => [...it]).toThrow(CorruptDataError)
    expect(() => [...c.openChunks(sealed.subarray(0, sealed.length - 1), 'img')]).toThrow(
      CorruptDataError,
    )
    expect(() => [...c.openChunks(sealed.subarray(0, 20), 'img')]).toThrow(CorruptDataError)
    expect(() => [...c.openChunks(sealed, 'other')]).toThrow(CorruptDataError)
  })

  test('keys must be 32 bytes', () => {
    expect(() => createCipher(randomBytes(16))).toThrow(/32 bytes/)
  })
})

describe('data keys', () => {
  test('a passphrase gives the same key again; a wrong one → WrongKeyError, key file untouched', async () => {
    const dir = tempDir()
    const key = await keyFromPassphrase(dir, 'correct horse', CHEAP)
    expect(key.length).toBe(32)
    const file = readFileSync(join(dir, 'key.json'))
    expect(file.includes(key.toString('base64'))).toBe(false)
    await expect(keyFromPassphrase(dir, 'wrong horse', CHEAP)).rejects.toThrow(WrongKeyError)
    await expect(keyFromPassphrase(dir, 'wrong horse')).rejects.toThrow(/wrong passphrase/)
    expect(readFileSync(join(dir, 'key.json')).equals(file)).toBe(true)
    expect((await keyFromPassphrase(dir, 'correct horse', CHEAP)).equals(key)).toBe(true)
  })

  test('passphrases are compared after NFC normalisation', async () => {
    const dir = tempDir()
    const key = await keyFromPassphrase(dir, 'cafe\u0301', CHEAP)
    expect((await keyFromPassphrase(dir, 'caf\u00e9', CHEAP)).equals(key)).toBe(true)
  })

  test('an empty passphrase is refused', async () => {
    await expect(keyFromPassphrase(tempDir(), '', CHEAP)).rejects.toThrow(/passphrase is required/)
  })

  test('a raw (keystore) key is checked against the folder it first opened', () => {
    const dir = tempDir()
    const key = randomBytes(32)
    expect(keyFromRaw(dir, key).equals(key)).toBe(true)
    expect(keyFromRaw(dir, key).equals(key)).toBe(true)
    expect(() => keyFromRaw(dir, randomBytes(32))).toThrow(WrongKeyError)
  })

  test('the error names itself and says nothing was changed', async () => {
    const dir = tempDir()
    await keyFromPassphrase(dir, 'a', CHEAP)
    const err = await keyFromPassphrase(dir, 'b', CHEAP).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WrongKeyError)
    expect((err as Error).name).toBe('WrongKeyError')
    expect((err as Error).message).toMatch(/nothing was changed/)
  })
})
