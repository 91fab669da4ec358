/**
 * The slice of Electron the main process uses, as small structural interfaces. `main.ts` passes
 * the real `electron` module; tests pass fakes (see `testing/fake-electron.ts`), so everything
 * but `main.ts` and `preload.ts` runs in plain Node without the Electron binary.
 */

/** Options the shell gives a new window (a subset of `BrowserWindowConstructorOptions`). */
export interface WindowOptions {
  width: number
  height: number
  minWidth: number
  minHeight: number
  title: string
  show: boolean
  backgroundColor: string
  webPreferences: {
    preload: string
    contextIsolation: true
    sandbox: true
    nodeIntegration: false
    webSecurity: true
  }
}

/** What a window's web contents must do for the shell. */
export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void
  setWindowOpenHandler(handler: () => { action: 'deny' }): void
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }) => void): unknown
}

export interface WindowLike {
  readonly webContents: WebContentsLike
  loadFile(path: string): Promise<void>
  isDestroyed(): boolean
  show(): void
  focus(): void
  isMinimized(): boolean
  restore(): void
  once(event: 'ready-to-show', listener: () => void): unknown
  on(event: 'closed', listener: () => void): unknown
}

export type WindowConstructor = new (options: WindowOptions) => WindowLike

export interface AppLike {
  whenReady(): Promise<void>
  getPath(name: 'userData'): string
  requestSingleInstanceLock(): boolean
  on(event: 'window-all-closed', listener: () => void): unknown
  on(event: 'second-instance', listener: () => void): unknown
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown
  quit(): void
}

/** The invoking side of an `ipcMain.handle` call; `sender` is the caller's web contents. */
export interface InvokeEventLike {
  readonly sender: unknown
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

/** Electron `safeStorage`: encryption with a key the OS keystore protects. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plainText: string): Buffer
  decryptString(encrypted: Buffer): string
  /** Linux only: `basic_text` means no real keystore protects the key. */
  getSelectedStorageBackend?(): string
}

export interface DialogLike {
  showErrorBox(title: string, content: string): void
}

/** Everything the main process takes from Electron. */
export interface ElectronLike {
  app: AppLike
  BrowserWindow: WindowConstructor
  ipcMain: IpcMainLike
  safeStorage: SafeStorageLike
  dialog: DialogLike
}
