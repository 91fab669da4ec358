/**
 * Electron's entry point (bundled to `dist/main/main.js` by `scripts/build.ts`): reads the
 * environment, then hands the real Electron to the shell. Everything else lives in `shell.ts`
 * and runs in Node tests with fakes.
 */
import { app, BrowserWindow, dialog, ipcMain, safeStorage } from 'electron'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { createScreenDriver, runAgent, type WeChatDriver } from '@kefu/agent'
import { ConfigError } from '@kefu/schema'
import { agentConfigFor, desktopHelp, loadDesktopConfig, type DesktopConfig } from './config.ts'
import type { ElectronLike } from './electron-like.ts'
import { startShell } from './shell.ts'

if (process.argv.includes('--help')) {
  console.log(desktopHelp())
  process.exit(0)
}

let config: DesktopConfig
try {
  config = loadDesktopConfig(process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`kefu desktop: ${err.message}\n\n${desktopHelp()}`)
  process.exit(2)
}

const logger = pino({ level: config.logLevel, base: { app: 'kefu-desktop' } })
const electron: ElectronLike = { app, BrowserWindow, ipcMain, safeStorage, dialog }
// The bundle sits in dist/main/; the preload and the page beside it (see scripts/build.ts).
const dist = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url))

const driverFor = (c: DesktopConfig): WeChatDriver | undefined =>
  c.driver === 'screen'
    ? createScreenDriver({ logger, ...(c.tessdata ? { langPath: c.tessdata } : {}) })
    : undefined

const shell = await startShell({
  electron,
  logger,
  preload: dist('preload.cjs'),
  page: dist('renderer/index.html'),
  handler: config.operator,
  takeOverMs: config.takeOverMinutes > 0 ? config.takeOverMinutes * 60_000 : null,
  startAgent: async ({ dataDir, key }) => {
    const driver = driverFor(config)
    return runAgent(agentConfigFor(config, dataDir), logger, { key, ...(driver ? { driver } : {}) })
  },
})
if (shell)
  console.log(`kefu desktop: agent ${config.agentId ?? '?'} running, data in ${shell.dataDir}`)
