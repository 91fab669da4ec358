import { afterEach, expect, test } from 'vitest'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WrongKeyError } from '@kefu/agent'
import {
  KEY_FILE,
  KeyFileMissingError,
  KeyFileUnreadableError,
  KeystoreUnavailableError,
  loadOrCreateDataKey,
} from './key-store.ts'
import { createFakeSafeStorage } from './testing/fake-electron.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kefu-key-'))
  dirs.push(d)
  return join(d, 'agent')
}

test('the first run creates a random key, stored only encrypted; the second run gets it back', () => {
  const dir = tempDir()
  const safeStorage = createFakeSafeStorage()
  const first = loadOrCreateDataKey({ dir, safeStorage })
  expect(first.created).toBe(true)
  expect(first.key).toHaveLength(32)
  const onDisk = readFileSync(join(dir, KEY_FILE))
  expect(onDisk.includes(first.key)).toBe(false)
  expect(onDisk.toString('latin1')).not.toContain(first.key.toString('base64'))
  expect(existsSync(join(dir, 'key.json'))).toBe(true) // the agent's key check

  const second = loadOrCreateDataKey({ dir, safeStorage })
  expect(second.created).toBe(false)
  expect(second.key.equals(first.key)).toBe(true)
  expect(readdirSync(dir).sort()).toEqual(['key.json', KEY_FILE])
})

test('an altered key file is a clear error and nothing is overwritten', () => {
  const dir = tempDir()
  const safeStorage = createFakeSafeStorage()
  loadOrCreateDataKey({ dir, safeStorage })
  const path = join(dir, KEY_FILE)
  const tampered = readFileSync(path)
  tampered[tampered.length - 1] ^= 0x01
  writeFileSync(path, tampered)
  const check = readFileSync(join(dir, 'key.json'))
  expect(() => loadOrCreateDataKey({ dir, safeStorage })).toThrow(KeyFileUnreadableError)
  expect(() => loadOrCreateDataKey({ dir, safeStorage })).toThrow(/altered/)
  expect(readFileSync(path).equals(tampered)).toBe(true)
  expect(readFileSync(join(dir, 'key.json')).equals(check)).toBe(true)
})

test('a key file from another OS user cannot be opened', () => {
  const dir = tempDir()
  loadOrCreateDataKey({ dir, safeStorage: createFakeSafeStorage() })
  expect(() => loadOrCreateDataKey({ dir, safeStorage: createFakeSafeStorage() })).toThrow(
    KeyFileUnreadableError,
  )
})

test('a key file holding something other than a 32-byte key is refused', () => {
  const dir = tempDir()
  const safeStorage = createFakeSafeStorage()
  loadOrCreateDataKey({ dir, safeStorage })
  writeFileSync(join(dir, KEY_FILE), safeStorage.encryptString(Buffer.alloc(16).toString('base64')))
  expect(() => loadOrCreateDataKey({ dir, safeStorage })).toThrow(/32-byte/)
})

test('a valid key that does not match the folder is the agent’s WrongKeyError', () => {
  const dir = tempDir()
  const safeStorage = createFakeSafeStorage()
  loadOrCreateDataKey({ dir, safeStorage })
  // Someone put another folder's key file here: it decrypts, but the key check says no.
  writeFileSync(
    join(dir, KEY_FILE),
    safeStorage.encryptString(Buffer.alloc(32, 7).toString('base64')),
  )
  expect(() => loadOrCreateDataKey({ dir, safeStorage })).toThrow(WrongKeyError)
})

test('data without its key file is never given a new key', () => {
  const dir = tempDir()
  const safeStorage = createFakeSafeStorage()
  loadOrCreateDataKey({ dir, safeStorage })
  rmSync(join(dir, KEY_FILE))
  const check = readFileSync(join(dir, 'key.json'))
  expect(() => loadOrCreateDataKey({ dir, safeStorage })).toThrow(KeyFileMissingError)
  expect(existsSync(join(dir, KEY_FILE))).toBe(false)
  expect(readFileSync(join(dir, 'key.json')).equals(check)).toBe(true)
})

test('without an OS keystore nothing is created', () => {
  const dir = tempDir()
  expect(() =>
    loadOrCreateDataKey({ dir, safeStorage: createFakeSafeStorage({ available: false }) }),
  ).toThrow(KeystoreUnavailableError)
  expect(existsSync(join(dir, KEY_FILE))).toBe(false)
})

test('reports the Linux keystore backend so a weak one can be flagged', () => {
  const r = loadOrCreateDataKey({
    dir: tempDir(),
    safeStorage: createFakeSafeStorage({ backend: 'basic_text' }),
  })
  expect(r.backend).toBe('basic_text')
})
