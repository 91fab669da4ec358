import { afterAll, beforeAll, expect, test } from 'vitest'
import { fork } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runInNewContext } from 'node:vm'
import { buildElectron, type ElectronBuildResult } from '../scripts/build.ts'
import type { KefuApi } from './api.ts'

let root: string
let built: ElectronBuildResult
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kefu-build-'))
  built = await buildElectron({ outDir: join(root, 'dist') })
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('builds main, preload, the page and the replica migrations into the out dir', () => {
  for (const f of [
    'main/main.js',
    'preload.cjs',
    'renderer/index.html',
    'renderer/styles.css',
    'renderer/app.js',
    'agent/0001_replica.sql',
  ])
    expect(built.files, f).toContain(f)
  const html = readFileSync(join(built.outDir, 'renderer/index.html'), 'utf8')
  expect(html).toContain('src="./app.js"')
  expect(html).toContain("script-src 'self'")
  const app = readFileSync(join(built.outDir, 'renderer/app.js'), 'utf8')
  expect(app).not.toMatch(/\brequire\(|^import /m) // a plain browser script
  const main = readFileSync(join(built.outDir, 'main/main.js'), 'utf8')
  for (const external of ['electron', '@electric-sql/pglite', 'better-sqlite3'])
    expect(main).toContain(`from "${external}"`)
})

test('the preload needs only electron and exposes exactly window.kefu over ipcRenderer', async () => {
  const exposed: Record<string, unknown> = {}
  const required: string[] = []
  const invoked: unknown[][] = []
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        invoked.push(args)
        return { ok: true, value: 'v' }
      },
      on: () => {},
      removeListener: () => {},
    },
  }
  const module = { exports: {} }
  runInNewContext(readFileSync(join(built.outDir, 'preload.cjs'), 'utf8'), {
    module,
    exports: module.exports,
    require: (name: string) => {
      required.push(name)
      if (name === 'electron') return electron
      throw new Error(`a sandboxed preload cannot require ${name}`)
    },
  })
  expect(required).toEqual(['electron'])
  expect(Object.keys(exposed)).toEqual(['kefu'])
  const kefu = exposed['kefu'] as KefuApi
  expect(Object.keys(kefu).sort()).toEqual([
    'conversations',
    'messages',
    'onStatus',
    'release',
    'status',
    'takeOver',
  ])
  expect(await kefu.takeOver('c1')).toBe('v')
  expect(invoked).toEqual([['kefu:take-over', 'c1']])
})

/** An `electron` module for the bundled main: reports what the shell does over IPC to the test. */
const FAKE_ELECTRON = `
const report = (m) => process.send(m)
const listeners = {}
export const app = {
  whenReady: async () => {},
  getPath: () => process.argv[2],
  requestSingleInstanceLock: () => true,
  on(event, l) { (listeners[event] ??= []).push(l); return app },
  quit() {
    let held = false
    for (const l of listeners['before-quit'] ?? []) l({ preventDefault: () => { held = true } })
    if (!held) { report({ type: 'quit' }); process.disconnect() }
  },
}
process.on('message', (m) => { if (m === 'quit') app.quit() })
const handlers = {}
export const ipcMain = { handle: (ch, l) => { handlers[ch] = l }, removeHandler: (ch) => { delete handlers[ch] } }
export const safeStorage = {
  isEncryptionAvailable: () => true,
  encryptString: (s) => Buffer.from('sealed:' + s),
  decryptString: (b) => { const s = b.toString(); if (!s.startsWith('sealed:')) throw new Error('bad'); return s.slice(7) },
}
export const dialog = { showErrorBox: (title, content) => report({ type: 'error', title, content }) }
export class BrowserWindow {
  constructor(options) {
    this.options = options
    this.webContents = { send() {}, setWindowOpenHandler() {}, on() {} }
  }
  async loadFile(page) {
    const sender = this.webContents
    const status = await handlers['kefu:status']({ sender })
    const conversations = await handlers['kefu:conversations']({ sender })
    report({ type: 'loaded', page, preload: this.options.webPreferences.preload, status, conversations })
  }
  isDestroyed() { return false }
  show() {}
  focus() {}
  isMinimized() { return false }
  restore() {}
  once() {}
  on() {}
}
`

test('the bundled main boots the agent on a fake Electron and quits cleanly', async () => {
  const fake = join(root, 'fake-electron.mjs')
  writeFileSync(fake, FAKE_ELECTRON)
  // 'electron' is the fake; other bare imports resolve from the repo, as they do from electron/dist.
  writeFileSync(
    join(root, 'hooks.mjs'),
    `export async function resolve(specifier, context, next) {
      if (specifier === 'electron') return { url: ${JSON.stringify(pathToFileURL(fake).href)}, shortCircuit: true }
      try { return await next(specifier, context) } catch (err) {
        if (/^(\\.|\\/|node:|file:)/.test(specifier)) throw err
        return next(specifier, { ...context, parentURL: ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', 'package.json')).href)} })
      }
    }`,
  )
  writeFileSync(
    join(root, 'register.mjs'),
    `import { register } from 'node:module'\nregister('./hooks.mjs', import.meta.url)\n`,
  )
  const userData = join(root, 'user-data')
  const child = fork(join(built.outDir, 'main', 'main.js'), [userData], {
    execArgv: ['--import', pathToFileURL(join(root, 'register.mjs')).href],
    env: {
      KEFU_AGENT_ID: '0190f2a4-7c1e-7000-8000-0000000000bb',
      KEFU_AGENT_SECRET: 'secret',
      KEFU_CLOUD_URL: 'http://127.0.0.1:9',
      KEFU_DRIVER: 'sim',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const messages: Array<Record<string, unknown>> = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const loaded = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (m: Record<string, unknown>) => {
      messages.push(m)
      if (m['type'] === 'loaded') resolve(m)
      if (m['type'] === 'error') reject(new Error(String(m['content'])))
    })
    void exited.then((code) => reject(new Error(`main exited (${code}) before loading: ${stderr}`)))
  })
  try {
    const m = await loaded
    expect(m['page']).toBe(join(built.outDir, 'renderer', 'index.html'))
    expect(m['preload']).toBe(join(built.outDir, 'preload.cjs'))
    expect(existsSync(m['preload'] as string)).toBe(true)
    expect(m['status']).toMatchObject({
      ok: true,
      value: { agentId: '0190f2a4-7c1e-7000-8000-0000000000bb', windowFound: true },
    })
    expect(m['conversations']).toEqual({ ok: true, value: [] })
    child.send('quit')
    expect(await exited).toBe(0)
    expect(messages.map((x) => x['type'])).toEqual(['loaded', 'quit'])
    expect(existsSync(join(userData, 'agent', 'key.safe'))).toBe(true)
    expect(existsSync(join(userData, 'agent', 'journal.db'))).toBe(true)
  } finally {
    child.kill()
  }
}, 60_000)
