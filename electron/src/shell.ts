/**
 * The desktop shell around the headless agent, written against {@link ElectronLike} so it runs
 * in Node tests with fakes. `main.ts` only reads the config and passes the real Electron.
 *
 *   single-instance lock ─► app ready ─► data key (safeStorage) ─► agent.start()
 *     ─► window (sandboxed, no navigation, no pop-ups) ─► IPC routes ─► page ─► status feed
 *   quit ─► status feed off, IPC off ─► agent.stop() (checkpoint) ─► exit
 *
 * A failure before the window exists (keystore, key file, agent start) is shown in an error
 * box and the app quits: the agent never runs on a key it could not verify.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { KefuAgent } from '@kefu/agent'
import { EventChannel, ErrorCode, type IpcResult } from './api.ts'
import type { ElectronLike, WindowLike, WindowOptions } from './electron-like.ts'
import { loadOrCreateDataKey } from './key-store.ts'
import { createIpcRouter } from './ipc/router.ts'
import { createStatusFeed, statusRoutes } from './ipc/status.ts'
import { conversationRoutes } from './ipc/conversations.ts'

/** A started agent and how to stop it (what `runAgent` from `@kefu/agent` returns). */
export interface StartedAgent {
  agent: KefuAgent
  stop(): Promise<void>
}

export interface ShellOptions {
  electron: ElectronLike
  logger: Logger
  /** Absolute path of the built preload script (`dist/preload.cjs`). */
  preload: string
  /** Absolute path of the built page (`dist/renderer/index.html`). */
  page: string
  /** Builds and starts the agent once its data folder and key are known. */
  startAgent(ctx: { dataDir: string; key: Buffer }): Promise<StartedAgent>
  /** Recorded as the handler of chats taken over in this window; default `desktop`. */
  handler?: string
  /** How long a take-over pauses the bot; default null (until released). */
  takeOverMs?: number | null
  statusIntervalMs?: number
}

export interface Shell {
  readonly agent: KefuAgent
  readonly window: WindowLike
  readonly dataDir: string
  /** Stops the status feed, the IPC routes and the agent (idempotent). */
  stop(): Promise<void>
}

export const defaultHandler = 'desktop'

export function windowOptions(preload: string): WindowOptions {
  return {
    width: 1200,
    height: 780,
    minWidth: 860,
    minHeight: 520,
    title: 'kefu 客服',
    show: false,
    backgroundColor: '#f5f6f8',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  }
}

const forbidden: IpcResult<never> = {
  ok: false,
  error: { code: ErrorCode.forbidden, message: '只有客服窗口可以调用' },
}

/**
 * Starts the shell; resolves to null when it did not start (another instance holds the lock,
 * or a startup error was shown and the app is quitting).
 */
export async function startShell(o: ShellOptions): Promise<Shell | null> {
  const { app, dialog, ipcMain, BrowserWindow } = o.electron
  const log = o.logger.child({ component: 'shell' })
  if (!app.requestSingleInstanceLock()) {
    log.info('another kefu window is running; handing over to it')
    app.quit()
    return null
  }
  await app.whenReady()
  const dataDir = join(app.getPath('userData'), 'agent')
  let started: StartedAgent
  try {
    const k = loadOrCreateDataKey({ dir: dataDir, safeStorage: o.electron.safeStorage })
    if (k.created) log.info({ dataDir }, 'created a new data key')
    if (k.backend === 'basic_text')
      log.warn('no OS keystore: the data key is protected by a fixed password only')
    started = await o.startAgent({ dataDir, key: k.key })
  } catch (err) {
    log.error({ err }, 'agent could not start')
    dialog.showErrorBox('kefu 客服无法启动', err instanceof Error ? err.message : String(err))
    app.quit()
    return null
  }
  const agent = started.agent

  const win = new BrowserWindow(windowOptions(o.preload))
  // The window shows our page only: no navigation away, no new windows.
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.webContents.on('will-navigate', (e) => e.preventDefault())
  win.once('ready-to-show', () => win.show())

  const router = createIpcRouter(
    {
      ...statusRoutes(agent),
      ...conversationRoutes({
        agent,
        handler: o.handler ?? defaultHandler,
        ...(o.takeOverMs !== undefined ? { takeOverMs: o.takeOverMs } : {}),
      }),
    },
    { logger: o.logger },
  )
  for (const channel of router.channels)
    ipcMain.handle(channel, (event, arg) =>
      event.sender === win.webContents ? router.invoke(channel, arg) : forbidden,
    )

  const feed = createStatusFeed({
    read: () => agent.status(),
    publish: (s) => {
      if (!win.isDestroyed()) win.webContents.send(EventChannel.status, s)
    },
    ...(o.statusIntervalMs !== undefined ? { intervalMs: o.statusIntervalMs } : {}),
  })
  win.on('closed', () => feed.stop())

  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      feed.stop()
      for (const channel of router.channels) ipcMain.removeHandler(channel)
      await started.stop()
      log.info('agent stopped')
    })()
    return stopping
  }

  app.on('second-instance', () => {
    if (win.isDestroyed()) return
    if (win.isMinimized()) win.restore()
    win.focus()
  })
  app.on('window-all-closed', () => app.quit())
  let stopped = false
  app.on('before-quit', (e) => {
    if (stopped) return
    // Hold the quit until the agent has checkpointed and closed its journal.
    e.preventDefault()
    void stop()
      .catch((err: unknown) => log.error({ err }, 'agent stop failed'))
      .finally(() => {
        stopped = true
        app.quit()
      })
  })

  await win.loadFile(o.page)
  feed.start()
  log.info({ agentId: agent.status().agentId }, 'window ready')
  return { agent, window: win, dataDir, stop }
}
