/**
 * The agent's data key on a desktop: a random 32-byte key, kept in `<dir>/key.safe` encrypted
 * by Electron `safeStorage` (DPAPI on Windows, the Keychain on macOS, libsecret/kwallet on
 * Linux), so the encrypted journal and replica open only for this OS user on this machine.
 *
 *   no key.safe, no data ──► new random key ──► key.safe (never replaces a file) ──► key.json check
 *   key.safe             ──► decrypt ──► keyFromRaw verifies it against key.json
 *   no key.safe, data    ──► KeyFileMissingError (a new key would orphan the data)
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto'
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { keyFromRaw } from '@kefu/agent'
import type { SafeStorageLike } from './electron-like.ts'

export const KEY_FILE = 'key.safe'
const KEY_BYTES = 32
/** Files whose presence means the folder already holds agent data. */
const DATA_FILES = ['key.json', 'journal.db'] as const

export class KeystoreUnavailableError extends Error {
  constructor() {
    super(
      'the OS keystore is not available (safeStorage cannot encrypt); the agent data key cannot be protected',
    )
    this.name = 'KeystoreUnavailableError'
  }
}

export class KeyFileUnreadableError extends Error {
  readonly path: string
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      `cannot open the data key in ${path}: ${reason}. It was altered, or it belongs to another OS user or machine; nothing was changed`,
      options,
    )
    this.name = 'KeyFileUnreadableError'
    this.path = path
  }
}

export class KeyFileMissingError extends Error {
  readonly dir: string
  constructor(dir: string) {
    super(
      `${dir} holds agent data but its key file ${KEY_FILE} is missing; a new key would make that data unreadable, so none was created. Restore ${KEY_FILE}, or move the folder away to start afresh`,
    )
    this.name = 'KeyFileMissingError'
    this.dir = dir
  }
}

export interface DataKeyOptions {
  /** The agent's data folder (`<userData>/agent`). */
  dir: string
  safeStorage: SafeStorageLike
  randomBytes?: (n: number) => Buffer
}

export interface DataKey {
  key: Buffer
  /** True on the first run, when the key was just made. */
  created: boolean
  /** The Linux keystore backend (`basic_text` = not really protected); null elsewhere. */
  backend: string | null
}

/** Writes `data` to `path` only if no file is there, never leaving a partial `path` behind. */
function createExclusive(path: string, data: Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, data, { mode: 0o600 })
  try {
    linkSync(tmp, path) // fails with EEXIST instead of replacing
  } finally {
    unlinkSync(tmp)
  }
}

/**
 * The data key of the agent folder `dir`, created on the first run. Call after Electron's
 * `app` is ready (safeStorage needs it). Throws one of this module's errors, or the agent's
 * `WrongKeyError` when the key does not match the folder's key check.
 */
export function loadOrCreateDataKey(o: DataKeyOptions): DataKey {
  const { safeStorage } = o
  if (!safeStorage.isEncryptionAvailable()) throw new KeystoreUnavailableError()
  const backend = safeStorage.getSelectedStorageBackend?.() ?? null
  mkdirSync(o.dir, { recursive: true })
  const path = join(o.dir, KEY_FILE)
  if (existsSync(path)) {
    let encoded: string
    try {
      encoded = safeStorage.decryptString(readFileSync(path))
    } catch (err) {
      throw new KeyFileUnreadableError(path, 'the keystore cannot decrypt it', { cause: err })
    }
    const key = Buffer.from(encoded, 'base64')
    if (key.length !== KEY_BYTES || key.toString('base64') !== encoded)
      throw new KeyFileUnreadableError(path, 'it does not hold a 32-byte key')
    return { key: keyFromRaw(o.dir, key), created: false, backend }
  }
  if (DATA_FILES.some((f) => existsSync(join(o.dir, f)))) throw new KeyFileMissingError(o.dir)
  const key = (o.randomBytes ?? nodeRandomBytes)(KEY_BYTES)
  createExclusive(path, safeStorage.encryptString(key.toString('base64')))
  return { key: keyFromRaw(o.dir, key), created: true, backend }
}
