/**
 * Fakes of the Electron slice in {@link ElectronLike}, for running the shell in Node: an app
 * whose quit honours `before-quit`, an `ipcMain` tests can invoke, a `safeStorage` that really
 * encrypts (and rejects altered blobs), and windows that record what the shell did.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type {
  AppLike,
  ElectronLike,
  InvokeEventLike,
  SafeStorageLike,
  WebContentsLike,
  WindowConstructor,
  WindowLike,
  WindowOptions,
} from '../electron-like.ts'

/** A `safeStorage` stand-in: AES-256-GCM under a per-"OS user" secret. */
export function createFakeSafeStorage(
  o: { secret?: Buffer; available?: boolean; backend?: string } = {},
): SafeStorageLike {
  const secret = o.secret ?? randomBytes(32)
  return {
    isEncryptionAvailable: () => o.available ?? true,
    encryptString(plain) {
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', secret, iv)
      const data = Buffer.concat([c.update(plain, 'utf8'), c.final()])
      return Buffer.concat([iv, c.getAuthTag(), data])
    },
    decryptString(blob) {
      const d = createDecipheriv('aes-256-gcm', secret, blob.subarray(0, 12))
      d.setAuthTag(blob.subarray(12, 28))
      try {
        return Buffer.concat([d.update(blob.subarray(28)), d.final()]).toString('utf8')
      } catch (err) {
        throw new Error(
          'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
          { cause: err },
        )
      }
    },
    ...(o.backend !== undefined ? { getSelectedStorageBackend: () => o.backend! } : {}),
  }
}

export interface FakeApp extends AppLike {
  /** True once a quit went through (no `before-quit` listener held it). */
  readonly quitted: boolean
  /** Resolves when the app has quit. */
  readonly whenQuit: Promise<void>
  emit(event: 'second-instance' | 'window-all-closed'): void
}

type Listener = (...args: never[]) => void

export function createFakeApp(o: { userData: string; locked?: boolean }): FakeApp {
  const listeners = new Map<string, Listener[]>()
  let quitted = false
  let markQuit!: () => void
  const whenQuit = new Promise<void>((r) => (markQuit = r))
  const on = (event: string, l: Listener) => {
    listeners.set(event, [...(listeners.get(event) ?? []), l])
  }
  const fire = (event: string, ...args: unknown[]) => {
    for (const l of listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args)
  }
  return {
    get quitted() {
      return quitted
    },
    whenQuit,
    whenReady: async () => {},
    getPath: () => o.userData,
    requestSingleInstanceLock: () => !(o.locked ?? false),
    on(event: string, l: Listener) {
      on(event, l)
    },
    quit() {
      if (quitted) return
      let prevented = false
      fire('before-quit', { preventDefault: () => (prevented = true) })
      if (prevented) return
      quitted = true
      markQuit()
    },
    emit: (event) => fire(event),
  }
}

/** An `ipcMain` whose handlers tests call as a given sender would. */
export interface FakeIpcMain {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
  readonly channels: string[]
  invoke(sender: unknown, channel: string, ...args: unknown[]): Promise<unknown>
}

export function createFakeIpcMain(): FakeIpcMain {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => unknown>()
  return {
    handle(channel, listener) {
      // Electron throws on a second handler for one channel; so does the fake.
      if (handlers.has(channel))
        throw new Error(`Attempted to register a second handler for '${channel}'`)
      handlers.set(channel, listener)
    },
    removeHandler: (channel) => void handlers.delete(channel),
    get channels() {
      return [...handlers.keys()]
    },
    async invoke(sender, channel, ...args) {
      const h = handlers.get(channel)
      if (!h) throw new Error(`No handler registered for '${channel}'`)
      return h({ sender }, ...args)
    },
  }
}

/** A window that records: options, the page loaded, messages sent to it. */
export class RecordingWindow implements WindowLike {
  readonly options: WindowOptions
  readonly sent: Array<{ channel: string; args: unknown[] }> = []
  loaded: string | null = null
  shown = false
  destroyed = false
  openHandler: (() => { action: 'deny' }) | null = null
  readonly navigateGuards: Array<(e: { preventDefault(): void }) => void> = []
  private readonly closedListeners: Array<() => void> = []
  private readonly readyListeners: Array<() => void> = []
  readonly webContents: WebContentsLike

  constructor(options: WindowOptions) {
    this.options = options
    this.webContents = {
      send: (channel, ...args) => void this.sent.push({ channel, args }),
      setWindowOpenHandler: (h) => void (this.openHandler = h),
      on: (_event, l) => void this.navigateGuards.push(l),
    }
  }
  async loadFile(path: string) {
    this.loaded = path
    for (const l of this.readyListeners) l()
  }
  isDestroyed = () => this.destroyed
  show() {
    this.shown = true
  }
  focus() {}
  isMinimized = () => false
  restore() {}
  once(_event: 'ready-to-show', l: () => void) {
    this.readyListeners.push(l)
  }
  on(_event: 'closed', l: () => void) {
    this.closedListeners.push(l)
  }
  /** The user closes the window. */
  close() {
    this.destroyed = true
    for (const l of this.closedListeners) l()
  }
}

export interface FakeElectron extends ElectronLike {
  app: FakeApp
  ipcMain: FakeIpcMain
  windows: WindowLike[]
  errors: Array<{ title: string; content: string }>
}

export interface FakeElectronOptions {
  userData: string
  safeStorage?: SafeStorageLike
  /** Another instance holds the single-instance lock. */
  locked?: boolean
  /** Builds windows (default: {@link RecordingWindow}). */
  window?: (options: WindowOptions) => WindowLike
}

export function createFakeElectron(o: FakeElectronOptions): FakeElectron {
  const windows: WindowLike[] = []
  const make = o.window ?? ((options) => new RecordingWindow(options))
  // A constructor the shell can `new`; it records every window it makes.
  const BrowserWindow = function (this: unknown, options: WindowOptions) {
    const w = make(options)
    windows.push(w)
    return w
  } as unknown as WindowConstructor
  const errors: Array<{ title: string; content: string }> = []
  return {
    app: createFakeApp({
      userData: o.userData,
      ...(o.locked !== undefined ? { locked: o.locked } : {}),
    }),
    BrowserWindow,
    ipcMain: createFakeIpcMain(),
    safeStorage: o.safeStorage ?? createFakeSafeStorage(),
    dialog: { showErrorBox: (title, content) => void errors.push({ title, content }) },
    windows,
    errors,
  }
}
