/**
 * A throwaway X desktop for the screen driver's tests: an Xvfb server on a free display and
 * Debian's Chromium showing a page in a real (non-headless) app window at a chosen position.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Where `name` is found on the `:`-separated `path`, or null. */
export function findOnPath(name: string, path: string): string | null {
  for (const dir of path.split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }
  return null
}

/** Why the desktop cannot run here (Xvfb or Chromium missing), or null when it can. */
export function desktopUnavailable(path: string): string | null {
  if (!findOnPath('Xvfb', path)) return 'Xvfb is not installed (apt-get install xvfb)'
  if (!existsSync(CHROMIUM_PATH))
    return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`
  return null
}

/** A running Xvfb. */
export interface Xvfb {
  display: string
  /**
   * Stops Xvfb now. Not once nut-js has connected in this process: Xlib would abort the
   * process when its connection drops. Leave it to the watchdog then.
   */
  stop(): void
}

/**
 * Starts Xvfb on a free display (Xvfb picks it and reports it through `-displayfd`), with a
 * detached watchdog that stops it once this process has exited, however it exits. Both nut-js
 * and the clipboard owner it spawns (xsel) stay connected until then, so Xvfb cannot simply be
 * stopped in a test's `afterAll`.
 */
export function startXvfb(size = { width: 1280, height: 800 }): Promise<Xvfb> {
  return new Promise((resolve, reject) => {
    const screen = `${size.width}x${size.height}x24`
    const proc: ChildProcess = spawn(
      'Xvfb',
      ['-displayfd', '1', '-screen', '0', screen, '-nolisten', 'tcp'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    let out = ''
    const timer = setTimeout(() => {
      proc.kill('SIGTERM')
      reject(new Error('Xvfb did not report a display'))
    }, 10_000)
    proc.once('error', reject)
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /^(\d+)\n/.exec(out)
      if (!m) return
      clearTimeout(timer)
      proc.stdout?.removeAllListeners('data')
      proc.unref()
      ;(proc.stdout as { unref?: () => void } | null)?.unref?.()
      const watchdog = `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; kill ${proc.pid}`
      spawn('sh', ['-c', watchdog], { detached: true, stdio: 'ignore' }).unref()
      resolve({ display: `:${m[1]}`, stop: () => void proc.kill('SIGTERM') })
    })
  })
}

/** Where the app window goes on the screen. */
export interface WindowBox {
  x: number
  y: number
  width: number
  height: number
}

/** A Chromium app window showing one page. */
export interface AppWindow {
  page: Page
  close(): Promise<void>
}

/**
 * Opens `url` in a Chromium app window (no tabs, no address bar) on `display`. `--test-type`
 * hides the "unsupported flag --no-sandbox" bar that would push the page down. `env` is the
 * environment Chromium starts with (HOME, fonts); `DISPLAY` is set from `display`.
 */
export async function openAppWindow(
  display: string,
  url: string,
  box: WindowBox,
  env: Record<string, string | undefined>,
): Promise<AppWindow> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'kefu-chromium-'))
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: false,
    viewport: null,
    env: { ...env, DISPLAY: display },
    args: [
      '--no-sandbox',
      '--test-type',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-features=Translate,MediaRouter',
      '--force-device-scale-factor=1',
      `--window-position=${box.x},${box.y}`,
      `--window-size=${box.width},${box.height}`,
      `--app=${url}`,
    ],
  })
  const page = context.pages()[0] ?? (await context.waitForEvent('page'))
  await page.waitForLoadState('domcontentloaded')
  return {
    page,
    close: async () => {
      await context.close().catch(() => {})
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}
