import { afterEach, expect, test } from 'vitest'
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSimDriver, conversationIdOf, type WeChatDriver } from '@kefu/agent'
import type { ConversationSummary, IpcResult, StatusView } from './api.ts'
import { startShell, type Shell, type StartedAgent } from './shell.ts'
import {
  createFakeElectron,
  createFakeSafeStorage,
  RecordingWindow,
  type FakeElectron,
} from './testing/fake-electron.ts'
import { createTestAgent, silentLogger } from './testing/test-agent.ts'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function userDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kefu-userdata-'))
  cleanups.push(() => rmSync(d, { recursive: true, force: true }))
  return d
}

interface Run {
  electron: FakeElectron
  shell: Shell | null
  window: RecordingWindow
  keys: Buffer[]
  /** Invokes a channel as the agent window would. */
  call<T>(channel: string, arg?: unknown): Promise<IpcResult<T>>
}

async function run(o: {
  userData: string
  safeStorage?: ReturnType<typeof createFakeSafeStorage>
  driver?: WeChatDriver
  locked?: boolean
}): Promise<Run> {
  const electron = createFakeElectron({
    userData: o.userData,
    ...(o.safeStorage ? { safeStorage: o.safeStorage } : {}),
    ...(o.locked ? { locked: true } : {}),
  })
  const keys: Buffer[] = []
  const shell = await startShell({
    electron,
    logger: silentLogger(),
    preload: '/app/dist/preload.cjs',
    page: '/app/dist/renderer/index.html',
    statusIntervalMs: 50,
    startAgent: async ({ dataDir, key }): Promise<StartedAgent> => {
      keys.push(key)
      const t = createTestAgent({
        dataDir,
        key,
        agentId: '0190f2a4-7c1e-7000-8000-0000000000aa',
        pollMs: 20,
        ...(o.driver ? { driver: o.driver } : {}),
      })
      await t.agent.start()
      return { agent: t.agent, stop: () => t.agent.stop() }
    },
  })
  if (shell) cleanups.push(() => shell.stop())
  const window = electron.windows[0] as RecordingWindow
  return {
    electron,
    shell,
    window,
    keys,
    call: async (channel, arg) =>
      (await electron.ipcMain.invoke(window.webContents, channel, arg)) as IpcResult<never>,
  }
}

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

test('opens a locked-down window on the built page and serves the agent over IPC', async () => {
  const driver = createSimDriver()
  const r = await run({ userData: userDataDir(), driver })
  expect(r.shell).not.toBeNull()
  const w = r.window
  expect(w.options.webPreferences).toEqual({
    preload: '/app/dist/preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webSecurity: true,
  })
  expect(w.loaded).toBe('/app/dist/renderer/index.html')
  expect(w.shown).toBe(true)
  expect(w.openHandler?.()).toEqual({ action: 'deny' })
  let prevented = false
  for (const guard of w.navigateGuards) guard({ preventDefault: () => (prevented = true) })
  expect(prevented).toBe(true)
  expect(r.electron.ipcMain.channels.sort()).toEqual(
    ['kefu:conversations', 'kefu:messages', 'kefu:release', 'kefu:status', 'kefu:take-over'].sort(),
  )

  const status = await r.call<StatusView>('kefu:status')
  expect(status).toMatchObject({
    ok: true,
    value: { agentId: '0190f2a4-7c1e-7000-8000-0000000000aa', windowFound: true },
  })

  driver.pushCustomerMessage('王五', '有优惠吗')
  await until(async () => {
    const list = await r.call<ConversationSummary[]>('kefu:conversations')
    return list.ok && list.value.some((c) => c.title === '王五')
  }, 'the captured chat in the list')
  const id = conversationIdOf('0190f2a4-7c1e-7000-8000-0000000000aa', '王五')
  expect(await r.call('kefu:take-over', id)).toMatchObject({ ok: true, value: { state: 'human' } })
})

test('pushes the status to the window on a timer', async () => {
  const r = await run({ userData: userDataDir() })
  await until(() => r.window.sent.length >= 3, 'three status pushes')
  const s = r.window.sent[0]!
  expect(s.channel).toBe('kefu:status-changed')
  expect(s.args[0]).toMatchObject({ agentId: '0190f2a4-7c1e-7000-8000-0000000000aa' })
  r.window.close()
  const n = r.window.sent.length
  await new Promise((res) => setTimeout(res, 150))
  expect(r.window.sent.length).toBe(n)
})

test('answers only the agent window', async () => {
  const r = await run({ userData: userDataDir() })
  const other = new RecordingWindow(r.window.options)
  expect(await r.electron.ipcMain.invoke(other.webContents, 'kefu:status')).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  })
})

test('quitting stops the agent first; the next start reuses the key and finds the data', async () => {
  const userData = userDataDir()
  const safeStorage = createFakeSafeStorage()
  const driver = createSimDriver()
  const first = await run({ userData, safeStorage, driver })
  driver.pushCustomerMessage('赵六', '还在吗')
  await until(async () => {
    const l = await first.call<ConversationSummary[]>('kefu:conversations')
    return l.ok && l.value.length === 1
  }, 'captured chat')
  first.electron.app.quit()
  await first.electron.app.whenQuit
  expect(first.electron.ipcMain.channels).toEqual([])
  expect(readdirSync(join(userData, 'agent'))).toEqual(
    expect.arrayContaining(['key.safe', 'key.json', 'journal.db']),
  )

  const second = await run({ userData, safeStorage })
  expect(second.keys[0]!.equals(first.keys[0]!)).toBe(true)
  const l = await second.call<ConversationSummary[]>('kefu:conversations')
  expect(l).toMatchObject({ ok: true, value: [{ title: '赵六', preview: '还在吗' }] })
})

test('a key file it cannot open is shown in an error box; the agent never starts', async () => {
  const userData = userDataDir()
  const safeStorage = createFakeSafeStorage()
  const first = await run({ userData, safeStorage })
  first.electron.app.quit()
  await first.electron.app.whenQuit
  writeFileSync(join(userData, 'agent', 'key.safe'), 'garbage')
  const again = await run({ userData, safeStorage })
  expect(again.shell).toBeNull()
  expect(again.keys).toEqual([])
  expect(again.electron.windows).toEqual([])
  expect(again.electron.errors).toEqual([
    { title: 'kefu 客服无法启动', content: expect.stringMatching(/key\.safe.*altered/) },
  ])
  expect(again.electron.app.quitted).toBe(true)
})

test('a second instance hands over and quits', async () => {
  const r = await run({ userData: userDataDir(), locked: true })
  expect(r.shell).toBeNull()
  expect(r.electron.app.quitted).toBe(true)
  expect(r.keys).toEqual([])
})
