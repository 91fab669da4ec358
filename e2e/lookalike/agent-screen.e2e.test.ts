/**
 * The screen driver end to end through the cloud: Xvfb, the WeChat look-alike in a real
 * Chromium window, the real screen driver (nut-js, tesseract.js) inside a real agent, and a
 * real cloud. Customer bubbles become `messages` rows in the cloud; a reply row written in the
 * cloud becomes our green bubble; a person typing in WeChat puts the chat in `human` in the
 * cloud, and a bot reply written afterwards is cancelled, never pasted. Skips only where Xvfb
 * or Chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import type { Db } from '@kefu/migrations'
import { createKefuAgent, sharedSecret, type KefuAgent } from '@kefu/agent'
import { canonicalText } from '../../agent/src/driver/text-normalise.ts'
import { startTestCloud, AGENT_SECRET, type TestCloud } from '../../cloud/src/testing/test-cloud.ts'
import { startLookalike, type Lookalike } from './lookalike-server.ts'
import { desktopUnavailable, openAppWindow, startXvfb, type AppWindow } from './x-desktop.ts'

const unavailable = desktopUnavailable(process.env.PATH ?? '')
const same = (a: string, b: string) => canonicalText(a) === canonicalText(b)

async function until<T>(
  probe: () => Promise<T | null | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const messagesOf = (db: Db, chatKey: string) =>
  db.query<{
    id: string
    text: string
    direction: string
    origin: string
    answered_by: string | null
  }>(
    `SELECT m.id::text AS id, m.text, m.direction, m.origin, m.answered_by
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
      WHERE c.chat_key = $1 ORDER BY m.captured_at, m.created_at`,
    [chatKey],
  )

describe.skipIf(unavailable !== null)(
  `agent with the screen driver, through the cloud${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let lookalike: Lookalike
    let appWindow: AppWindow
    let cloud: TestCloud & { dropDb(): Promise<void> }
    let agent: KefuAgent
    let agentId: string
    const dataDir = mkdtempSync(join(tmpdir(), 'kefu-agent-screen-'))

    beforeAll(async () => {
      // Xvfb outlives this file (see screen-driver.e2e.test.ts): its watchdog stops it.
      const xvfb = await startXvfb({ width: 1280, height: 800 })
      process.env.DISPLAY = xvfb.display
      lookalike = await startLookalike({ selfName: '客服小美' })
      appWindow = await openAppWindow(
        xvfb.display,
        lookalike.url,
        { x: 40, y: 30, width: 1000, height: 700 },
        process.env,
      )
      await appWindow.page.waitForSelector('#rows')
      cloud = await startTestCloud({ engine: 'pglite', longPollMs: 1000 })
      agentId = await cloud.createAgent('screen')
      const { createScreenDriver } = await import('../../agent/src/driver/screen-driver.ts')
      const { createNutDesktop } = await import('../../agent/src/driver/desktop.ts')
      const logger = pino({ level: process.env['AGENT_LOG'] ?? 'silent' })
      agent = createKefuAgent({
        cloudUrl: cloud.url,
        agentId,
        credentials: sharedSecret(agentId, AGENT_SECRET),
        dataDir,
        key: randomBytes(32),
        driver: createScreenDriver({
          logger,
          selfName: '客服小美',
          desktop: await createNutDesktop(),
        }),
        logger,
        pollMs: 300,
        pacing: { minGapMs: 1000, jitterMs: 0, typingBaseMs: 0, typingPerCharMs: 0 },
      })
      await agent.start()
    }, 90_000)

    afterAll(async () => {
      await agent?.stop({ checkpoint: false })
      await appWindow?.close()
      await lookalike?.close()
      await cloud?.destroy()
      rmSync(dataDir, { recursive: true, force: true })
    })

    test('customer bubbles become messages rows in the cloud', async () => {
      expect(agent.status().windowFound).toBe(true)
      const pushed = [
        { chat: 'zhang', title: '张三', text: '你好，我想问一下订单 A20240518 什么时候发货？' },
        { chat: 'lucy', title: 'Lucy王', text: '这件外套有黑色L码吗？' },
        { chat: 'zhang', text: '收货地址是北京市朝阳区建国路88号。' },
      ]
      let version = 0
      for (const p of pushed) version = await lookalike.push(p)
      await lookalike.waitRendered(version)
      const zhang = await until(
        async () => {
          const rows = await messagesOf(cloud.db, '张三')
          return rows.length === 2 && rows
        },
        30_000,
        'messages of 张三 in the cloud',
      )
      expect(zhang.map((m) => m.direction)).toEqual(['in', 'in'])
      expect(same(zhang[0]!.text, pushed[0]!.text), zhang[0]!.text).toBe(true)
      expect(same(zhang[1]!.text, pushed[2]!.text), zhang[1]!.text).toBe(true)
      const lucy = await until(
        async () => {
          const rows = await messagesOf(cloud.db, 'Lucy王')
          return rows.length === 1 && rows
        },
        30_000,
        'message of Lucy王 in the cloud',
      )
      expect(same(lucy[0]!.text, pushed[1]!.text), lucy[0]!.text).toBe(true)
      expect(lucy[0]).toMatchObject({ direction: 'in', origin: 'agent', answered_by: null })
    }, 60_000)

    test('a reply row written in the cloud appears as our green bubble, once, and is reported sent', async () => {
      const [conv] = await cloud.db.query<{ id: string }>(
        `SELECT id::text AS id FROM conversations WHERE chat_key = '张三'`,
      )
      const msgs = await messagesOf(cloud.db, '张三')
      const text = '您好，订单 A20240518 已发货，预计明天送达。'
      const replyId = newId()
      await cloud.db.query(
        `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid[], $5, 'cloud_ai')`,
        [replyId, conv!.id, agentId, msgs.map((m) => m.id), text],
      )
      await until(
        async () => ((await lookalike.sent())['zhang'] ?? []).length > 0,
        30_000,
        'the reply in the look-alike',
      )
      expect((await lookalike.sent())['zhang']).toEqual([text])
      await until(
        async () =>
          (
            await cloud.db.query<{ status: string }>(
              `SELECT status FROM replies WHERE id = $1::uuid`,
              [replyId],
            )
          )[0]?.status === 'sent',
        20_000,
        'the reply reported sent',
      )
      // Our own bubble is never captured back as a message.
      await new Promise((r) => setTimeout(r, 1500))
      expect((await messagesOf(cloud.db, '张三')).map((m) => m.direction)).toEqual(['in', 'in'])
      expect((await lookalike.sent())['zhang']).toEqual([text])
    }, 60_000)

    test('a person typing in WeChat puts the chat in human in the cloud; later bot replies are cancelled', async () => {
      const typed = '这个问题我来处理，请稍等。'
      await lookalike.waitRendered(await lookalike.human('lucy', typed))
      const conv = await until(
        async () => {
          const [c] = await cloud.db.query<{
            id: string
            state: string
            handler: string | null
            paused: boolean
          }>(
            `SELECT id::text AS id, state, handler, bot_paused_until > now() AS paused FROM conversations WHERE chat_key = 'Lucy王'`,
          )
          return c?.state === 'human' && c
        },
        30_000,
        'Lucy王 in human',
      )
      expect(conv).toMatchObject({ handler: 'wechat', paused: true })
      const rows = await messagesOf(cloud.db, 'Lucy王')
      expect(rows.map((m) => [m.direction, m.origin, m.answered_by])).toEqual([
        ['in', 'agent', null],
        ['out', 'human', 'human'],
      ])
      expect(same(rows[1]!.text, typed), rows[1]!.text).toBe(true)
      // A bot reply written now must not reach the customer.
      const replyId = newId()
      await cloud.db.query(
        `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin) VALUES ($1::uuid, $2::uuid, $3::uuid, '{}', '有的，黑色L码有货。', 'cloud_ai')`,
        [replyId, conv.id, agentId],
      )
      await until(
        async () =>
          (
            await cloud.db.query<{ status: string }>(
              `SELECT status FROM replies WHERE id = $1::uuid`,
              [replyId],
            )
          )[0]?.status === 'cancelled',
        20_000,
        'the bot reply cancelled',
      )
      expect((await lookalike.sent())['lucy']).toBeUndefined()
    }, 60_000)
  },
)
