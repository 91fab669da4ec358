/**
 * The agent window end to end, in Debian's Chromium: the built renderer page and the built
 * preload bundle, the real shell (IPC routes, status feed, key store) with only Electron's
 * transport replaced by Playwright, a real headless agent on the sim driver, a real cloud.
 *
 *   page ── window.kefu (dist/preload.cjs) ── ipcRenderer shim ──exposeFunction──► fake ipcMain
 *        ◄──────────── page.evaluate(emit) ◄── webContents.send ◄── status feed    │
 *                                                                 shell routes ◄──┘ ─► agent ⇄ cloud
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createServer, type Server } from 'node:http'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, relative, resolve, sep } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import {
  conversationIdOf,
  createKefuAgent,
  createSimDriver,
  sharedSecret,
  type KefuAgent,
} from '@kefu/agent'
import { AGENT_SECRET, startTestCloud, type TestCloud } from '../cloud/src/testing/test-cloud.ts'
import { buildElectron } from '../electron/scripts/build.ts'
import { startShell, type Shell } from '../electron/src/shell.ts'
import type { WebContentsLike, WindowLike, WindowOptions } from '../electron/src/electron-like.ts'
import { createFakeElectron, type FakeElectron } from '../electron/src/testing/fake-electron.ts'

const CHROMIUM = '/usr/bin/chromium'
const logger = pino({ level: 'silent' })
const OFFLINE_AFTER_MS = 3000

/** What the preload runs inside in Electron, rebuilt for a page: contextBridge and ipcRenderer. */
const preloadShim = (preload: string) => `(() => {
  const listeners = new Map()
  window.__kefuIpcEmit = (channel, args) => {
    for (const l of [...(listeners.get(channel) ?? [])]) l({}, ...args)
  }
  const electron = {
    contextBridge: { exposeInMainWorld: (key, api) => Object.defineProperty(window, key, { value: Object.freeze(api) }) },
    ipcRenderer: {
      invoke: (channel, ...args) => window.__kefuIpcInvoke(channel, args),
      on: (channel, l) => void listeners.set(channel, (listeners.get(channel) ?? new Set()).add(l)),
      removeListener: (channel, l) => void listeners.get(channel)?.delete(l),
    },
  }
  const require = (name) => {
    if (name === 'electron') return electron
    throw new Error('a sandboxed preload cannot require ' + name)
  }
  const module = { exports: {} }
  ;(function (require, module, exports) {
${preload}
  })(require, module, module.exports)
})()`

/** A BrowserWindow that is a Chromium page: loadFile navigates it, send() emits into it. */
function pageWindow(page: Page, pageRoot: string, baseUrl: string) {
  return (options: WindowOptions): WindowLike => {
    const webContents: WebContentsLike = {
      send: (channel, ...args) => {
        page
          .evaluate(
            ([c, a]) =>
              (window as unknown as { __kefuIpcEmit(c: string, a: unknown[]): void }).__kefuIpcEmit(
                c,
                a,
              ),
            [channel, args] as const,
          )
          .catch(() => {})
      },
      setWindowOpenHandler: () => {},
      on: () => {},
    }
    expect(options.webPreferences.contextIsolation).toBe(true)
    return {
      webContents,
      async loadFile(path) {
        await page.goto(`${baseUrl}/${relative(pageRoot, path).split(sep).join('/')}`)
      },
      isDestroyed: () => page.isClosed(),
      show() {},
      focus() {},
      isMinimized: () => false,
      restore() {},
      once: (_e, l) => l(),
      on() {},
    }
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
}

/** Serves the built renderer folder (and nothing above it). */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const file = resolve(
      root,
      `.${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`,
    )
    if (!file.startsWith(root + sep) || !existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    res
      .writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

describe.skipIf(!existsSync(CHROMIUM))('agent window in Chromium', () => {
  let tmp: string
  let cloud: TestCloud & { dropDb: () => Promise<void> }
  let cloud2: TestCloud | null = null
  let agentId: string
  let agent: KefuAgent
  let shell: Shell | null = null
  let electron: FakeElectron
  let browser: Browser
  let page: Page
  let http: Server
  const sim = createSimDriver()
  const pageErrors: string[] = []

  const statusItem = (k: string) => page.locator(`#status-bar [data-k="${k}"]`)
  const convButton = (title: string) =>
    page.locator('#conversations button.conv', { hasText: title })
  const cloudState = async (id: string) =>
    (
      await (cloud2 ?? cloud).db.query<{ state: string; handler: string | null }>(
        `SELECT state, handler FROM conversations WHERE id = $1::uuid`,
        [id],
      )
    )[0]

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kefu-agent-ui-'))
    const built = await buildElectron({ outDir: join(tmp, 'dist') })
    const pageRoot = join(built.outDir, 'renderer')
    const site = await serve(pageRoot)
    http = site.server

    // No reply pipeline: the test plays the cloud's replies itself, so states stay its own.
    cloud = await startTestCloud({ longPollMs: 1000, workers: () => [] })
    agentId = await cloud.createAgent('前台电脑')
    // A customer wrote before the window opened.
    sim.pushCustomerMessage('张三', '你好，请问今天发货吗？')

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = await browser.newPage({ viewport: { width: 1200, height: 780 }, locale: 'zh-CN' })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text())
    })
    electron = createFakeElectron({
      userData: join(tmp, 'user-data'),
      window: pageWindow(page, pageRoot, site.url),
    })
    await page.exposeFunction('__kefuIpcInvoke', (channel: string, args: unknown[]) => {
      const win = electron.windows[0]
      return electron.ipcMain.invoke(win?.webContents, channel, ...args)
    })
    await page.addInitScript({
      content: preloadShim(readFileSync(join(built.outDir, 'preload.cjs'), 'utf8')),
    })

    shell = await startShell({
      electron,
      logger,
      preload: join(built.outDir, 'preload.cjs'),
      page: join(pageRoot, 'index.html'),
      handler: '小王',
      statusIntervalMs: 300,
      startAgent: async ({ dataDir, key }) => {
        agent = createKefuAgent({
          cloudUrl: cloud.url,
          agentId,
          credentials: sharedSecret(agentId, AGENT_SECRET),
          dataDir,
          key,
          driver: sim,
          logger,
          pollMs: 100,
          offlineAfterMs: OFFLINE_AFTER_MS,
          offlineAnswers: false,
          pacing: { jitterMs: 0, typingBaseMs: 0, typingPerCharMs: 0 },
        })
        await agent.start()
        return { agent, stop: () => agent.stop({ checkpoint: false }) }
      },
    })
    expect(shell, electron.errors.map((e) => e.content).join('\n')).not.toBeNull()
  }, 120_000)

  afterAll(async () => {
    await shell?.stop().catch(() => {})
    await browser?.close().catch(() => {})
    await new Promise((r) => http?.close(r))
    await cloud2?.close().catch(() => {})
    await cloud?.close().catch(() => {})
    await cloud?.dropDb().catch(() => {})
    rmSync(tmp, { recursive: true, force: true })
  })

  test('shows the agent status and the conversations it holds, with reply status', async () => {
    await expect
      .poll(() => statusItem('online').getAttribute('data-online'), { timeout: 20_000 })
      .toBe('true')
    await expect.poll(() => statusItem('online').textContent()).toContain('在线')
    await expect.poll(() => statusItem('window').textContent()).toContain('已找到')
    await expect.poll(() => statusItem('outbox').textContent(), { timeout: 20_000 }).toBe('待上传0')
    await expect.poll(() => statusItem('capture').textContent()).toMatch(/最近采集(刚刚|\d+ 秒前)/)

    const zhang = convButton('张三')
    await expect.poll(() => zhang.count(), { timeout: 20_000 }).toBe(1)
    expect(await zhang.locator('.badge').textContent()).toBe('未处理')
    expect(await zhang.locator('.conv-preview').textContent()).toBe('你好，请问今天发货吗？')

    // The cloud answers; the reply syncs down, the agent sends it, the window shows it sent.
    const conversationId = conversationIdOf(agentId, '张三')
    await expect
      .poll(async () => (await cloudState(conversationId))?.state, { timeout: 20_000 })
      .toBe('unhandled')
    await cloud.db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, '今天下午五点前发货', 'cloud_ai')`,
      [newId(), conversationId, agentId],
    )
    await zhang.click()
    expect(await page.locator('#conversation-head h2').textContent()).toBe('张三')
    const reply = page.locator('#timeline .item.reply', { hasText: '今天下午五点前发货' })
    await expect.poll(() => reply.getAttribute('data-status'), { timeout: 20_000 }).toBe('sent')
    expect(await reply.locator('.reply-status').textContent()).toBe('已发送')
    expect(await page.locator('#timeline .item.message.in .bubble').first().textContent()).toBe(
      '你好，请问今天发货吗？',
    )
    expect(sim.sent().map((s) => s.text)).toContain('今天下午五点前发货')
  }, 90_000)

  test('a customer message pushed into the sim driver appears, shown as text', async () => {
    const text = '<img src=x onerror="window.__pwned=1">我要退货'
    sim.pushCustomerMessage('李四', text)
    const li = convButton('李四')
    await expect.poll(() => li.count(), { timeout: 20_000 }).toBe(1)
    await li.click()
    expect(await li.getAttribute('aria-current')).toBe('true')
    const bubble = page.locator('#timeline .item.message.in .bubble')
    await expect.poll(() => bubble.textContent(), { timeout: 10_000 }).toBe(text)
    expect(await page.locator('#timeline img').count()).toBe(0)
    expect(
      await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined()
    // A second message lands in the open conversation without a click.
    sim.pushCustomerMessage('李四', '订单号 20240501')
    await expect.poll(() => bubble.count(), { timeout: 10_000 }).toBe(2)
    expect(await li.locator('.conv-preview').textContent()).toBe('订单号 20240501')
  }, 60_000)

  test('接管 puts the chat with a person, in the cloud too; 释放 returns it to the bot', async () => {
    sim.pushCustomerMessage('王五', '转人工')
    const wang = convButton('王五')
    await expect.poll(() => wang.count(), { timeout: 20_000 }).toBe(1)
    await wang.click()
    const id = conversationIdOf(agentId, '王五')
    await expect
      .poll(async () => (await cloudState(id))?.state, { timeout: 20_000 })
      .toBe('unhandled')

    await page.getByRole('button', { name: '接管' }).click()
    await expect.poll(() => wang.locator('.badge').textContent(), { timeout: 5000 }).toBe('人工')
    await expect.poll(() => page.locator('#conversation-head .badge').textContent()).toBe('人工')
    expect(await page.locator('#conversation-head .handler').textContent()).toBe('处理人：小王')
    expect(await page.getByRole('button', { name: '接管' }).count()).toBe(0)
    await expect
      .poll(() => cloudState(id), { timeout: 20_000 })
      .toEqual({ state: 'human', handler: '小王' })

    // Held: a bot reply the cloud queues now is cancelled, never sent, while a person has the chat.
    const held = newId()
    await cloud.db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, '机器人的回答', 'cloud_ai')`,
      [held, id, agentId],
    )
    const heldItem = page.locator(`#timeline .item.reply[data-id="${held}"]`)
    await expect
      .poll(() => heldItem.getAttribute('data-status'), { timeout: 20_000 })
      .toBe('cancelled')
    expect(await heldItem.locator('.reply-status').textContent()).toBe('已取消')
    expect(sim.sent().map((s) => s.text)).not.toContain('机器人的回答')

    await page.getByRole('button', { name: '释放' }).click()
    await expect.poll(() => wang.locator('.badge').textContent(), { timeout: 5000 }).toBe('机器人')
    await expect.poll(() => page.getByRole('button', { name: '接管' }).count()).toBe(1)
    await expect
      .poll(() => cloudState(id), { timeout: 20_000 })
      .toEqual({ state: 'bot', handler: null })
  }, 90_000)

  test('stopping the cloud shows offline and a growing outbox; restarting it drains', async () => {
    const port = cloud.port
    await expect
      .poll(() => statusItem('online').getAttribute('data-online'), { timeout: 20_000 })
      .toBe('true')
    await cloud.close()
    await expect
      .poll(() => statusItem('online').getAttribute('data-online'), {
        timeout: OFFLINE_AFTER_MS + 10_000,
      })
      .toBe('false')
    expect(await statusItem('online').textContent()).toContain('离线')

    // Capture keeps going offline; the change waits in the outbox.
    sim.pushCustomerMessage('赵六', '离线时的消息')
    await expect.poll(() => convButton('赵六').count(), { timeout: 10_000 }).toBe(1)
    await expect
      .poll(
        async () =>
          Number((await statusItem('outbox').locator('.status-value').textContent()) ?? 0),
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0)

    cloud2 = await startTestCloud({ db: cloud.db, port, longPollMs: 1000, workers: () => [] })
    await expect
      .poll(() => statusItem('online').getAttribute('data-online'), { timeout: 30_000 })
      .toBe('true')
    await expect
      .poll(() => statusItem('outbox').locator('.status-value').textContent(), { timeout: 45_000 })
      .toBe('0')
    const rows = await cloud2.db.query(`SELECT 1 FROM messages WHERE text = '离线时的消息'`)
    expect(rows).toHaveLength(1)
  }, 120_000)

  test('the page raised no errors (scripts, CSP, network)', () => {
    expect(pageErrors).toEqual([])
  })
})
