/**
 * The screen driver end to end: Xvfb, the WeChat look-alike in a real Chromium window, nut-js
 * grabbing and clicking, tesseract.js reading. Skips only where Xvfb or Chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { pino } from 'pino'
import type { Desktop } from '../../agent/src/driver/desktop.ts'
import type { CapturedMessage, WeChatDriver } from '../../agent/src/driver/driver.ts'
import { canonicalText } from '../../agent/src/driver/text-normalise.ts'
import { startLookalike, type Lookalike } from './lookalike-server.ts'
import { desktopUnavailable, openAppWindow, startXvfb, type AppWindow } from './x-desktop.ts'

const unavailable = desktopUnavailable(process.env.PATH ?? '')
const same = (a: string, b: string) => canonicalText(a) === canonicalText(b)
const texts = (ms: CapturedMessage[]) => ms.map((m) => m.text)

describe.skipIf(unavailable !== null)(
  `screen driver against the WeChat look-alike${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let lookalike: Lookalike
    let appWindow: AppWindow
    let driver: WeChatDriver
    let desktop: Desktop

    beforeAll(async () => {
      // Xvfb outlives this file: nut-js stays connected until the process exits, and Xlib
      // would abort the worker if the server went first. Its watchdog stops it after exit.
      const xvfb = await startXvfb({ width: 1280, height: 800 })
      // nut-js reads DISPLAY when it loads, which happens in createNutDesktop() below.
      process.env.DISPLAY = xvfb.display
      lookalike = await startLookalike({ selfName: '客服小美' })
      // Not at the origin: the driver must work relative to wherever the window is.
      appWindow = await openAppWindow(
        xvfb.display,
        lookalike.url,
        { x: 70, y: 45, width: 1000, height: 700 },
        process.env,
      )
      await appWindow.page.waitForSelector('#rows')
      const { createScreenDriver } = await import('../../agent/src/driver/screen-driver.ts')
      const { createNutDesktop } = await import('../../agent/src/driver/desktop.ts')
      desktop = await createNutDesktop()
      driver = createScreenDriver({
        logger: pino({ level: 'silent' }),
        selfName: '客服小美',
        desktop,
      })
      await driver.start()
    })

    afterAll(async () => {
      await driver?.stop()
      await appWindow?.close()
      await lookalike?.close()
    })

    test('finds the WeChat window', () => {
      expect(driver.status().windowFound).toBe(true)
    })

    test('reads new customer messages once: wrapped, multi-line and a group @mention', async () => {
      const pushed = [
        { chat: 'zhang', title: '张三', text: '你好，我想问一下订单 A20240518 什么时候发货？' },
        {
          chat: 'zhang',
          text: '收货地址是北京市朝阳区建国路88号，电话13800138000。这条消息比较长，会在气泡里自动换行显示成好几行。',
        },
        { chat: 'lucy', title: 'Lucy王', text: '第一行：尺码选L\n第二行：颜色要黑色' },
        {
          chat: 'group',
          title: '售后群',
          group: true,
          sender: '李四',
          text: '@客服小美 退货流程怎么走？',
        },
      ]
      let version = 0
      for (const p of pushed) version = await lookalike.push(p)
      await lookalike.waitRendered(version)

      const got = await driver.poll()
      expect(got).toHaveLength(pushed.length)
      for (const p of pushed) {
        const m = got.find((g) => same(g.text, p.text))
        expect(m, `captured ${JSON.stringify(texts(got))}, missing ${p.text}`).toBeDefined()
        expect(m?.side).toBe('customer')
      }
      const zhang = got.filter((m) => m.chatKey === '张三')
      expect(zhang.map((m) => m.seq)).toEqual([0, 1])
      const lucy = got.find((m) => m.chatKey === 'Lucy王')
      expect(lucy?.text.split('\n')).toHaveLength(2)
      const group = got.find((m) => m.chatKey === '售后群')
      expect(group).toMatchObject({ isGroup: true, sender: '李四', mentioned: true })
      expect(got.filter((m) => m !== group).every((m) => !m.isGroup && !m.mentioned)).toBe(true)
    })

    test('re-polling returns nothing new', async () => {
      expect(await driver.poll()).toEqual([])
      expect(await driver.poll()).toEqual([])
    })

    test('reads a message arriving in the open chat, where no badge shows', async () => {
      const state = await lookalike.state()
      const open = state.chats.find((c) => c.key === state.openChat)
      expect(open).toBeDefined()
      const text = '好的，那我再等两天。'
      await lookalike.waitRendered(
        await lookalike.push({ chat: open?.key ?? '', text, sender: '李四' }),
      )
      const got = await driver.poll()
      expect(texts(got)).toHaveLength(1)
      expect(same(got[0]?.text ?? '', text)).toBe(true)
    })

    test('send pastes the reply into the chat and it never comes back from poll', async () => {
      await desktop.writeClipboard('the user was copying this')
      await expect.poll(() => desktop.readClipboard()).toBe('the user was copying this')
      const reply = '您好，订单 A20240518 已发货，预计明天送达。'
      const res = await driver.send('张三', reply)
      expect(res).toMatchObject({ ok: true })
      expect((await lookalike.sent())['zhang']).toEqual([reply])
      expect(await desktop.readClipboard()).toBe('the user was copying this')
      // A second reply into another chat: opening a chat from the list, not the open one.
      const res2 = await driver.send('Lucy王', '好的，已为您备注：L码，黑色。')
      expect(res2).toMatchObject({ ok: true })
      expect((await lookalike.sent())['lucy']).toEqual(['好的，已为您备注：L码，黑色。'])
      expect(await driver.poll()).toEqual([])
      // After a crash mid-send the agent asks before sending again.
      expect(await driver.hasSent?.('张三', reply)).toBe(true)
      expect(await driver.hasSent?.('张三', '这句从来没有发过')).toBe(false)
    })

    test('a message a person typed in WeChat comes back as our side', async () => {
      const text = '这个问题我来处理，请稍等。'
      await lookalike.waitRendered(await lookalike.human('zhang', text))
      const got = await driver.poll()
      expect(got).toHaveLength(1)
      expect(got[0]).toMatchObject({ chatKey: '张三', side: 'self', sender: null })
      expect(same(got[0]?.text ?? '', text)).toBe(true)
      expect(await driver.poll()).toEqual([])
    })

    test('send reaches a chat below the visible list through search, and fails for no chat', async () => {
      // Ten newer chats push 王老板 out of the ten visible rows.
      await lookalike.push({ chat: 'wang', title: '王老板', text: '明天能到吗？' })
      let version = 0
      for (let i = 0; i < 10; i++)
        version = await lookalike.push({ chat: `c${i}`, title: `客户${i}`, text: '在吗' })
      await lookalike.waitRendered(version)
      const res = await driver.send('王老板', '能到的，请放心。')
      expect(res).toMatchObject({ ok: true })
      expect((await lookalike.sent())['wang']).toEqual(['能到的，请放心。'])
      expect(await driver.send('不存在的客户', '你好')).toEqual({
        ok: false,
        reason: 'chat not found',
      })
    })

    test('send refuses to paste over a draft a person is writing', async () => {
      await appWindow.page.fill('#input', '我正在写')
      // Two frames: the draft is on the screen, as a person's draft would be.
      await appWindow.page.evaluate(
        () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
      )
      const res = await driver.send('王老板', '好的')
      expect(res).toMatchObject({ ok: false, reason: expect.stringContaining('not empty') })
      expect((await lookalike.sent())['wang']).toEqual(['能到的，请放心。'])
      await appWindow.page.fill('#input', '')
    })

    // More than fit on the screen (about nine short bubbles): the driver scrolls back.
    const burst = [
      ...['你好，在吗', '我想买那件外套', '请问还有货吗', '黑色的有没有', '尺码偏大还是偏小'],
      ...['我平时穿M码', '身高一米六五', '体重五十公斤', '好的', '好的'],
      ...['那我拍M码吧', '今天能发货吗', '用什么快递', '顺丰可以吗', '运费多少钱'],
      ...['可以包邮吗', '有优惠券吗', '我是老顾客了', '上次买的裤子很好', '这次想多买两件'],
      ...['能便宜一点吗', '那我先下单了', '地址不用改', '麻烦尽快发货', '谢谢'],
    ]
    // Into the open chat; it starts with a repeat of the last message read before.
    const second = [
      ...['谢谢', '还有一个问题', '外套可以机洗吗', '会不会掉色', '洗的时候要注意什么'],
      ...['我想再买一顶帽子', '灰色的还有吗', '帽子多大', '是羊毛的吗', '会扎人吗'],
      ...['在吗', '在吗', '怎么不回我', '我等一下再来问', '刚才的问题还没回答'],
      ...['帽子和外套一起发', '可以吗', '能开发票吗', '发票抬头写公司', '税号我稍后发你'],
      ...['麻烦了', '收到请回复', '我在线等', '好的', '再见'],
    ]
    const atBottom = () =>
      appWindow.page.evaluate(() => {
        const m = document.getElementById('messages') as HTMLElement
        return m.scrollHeight - m.scrollTop - m.clientHeight <= 2
      })
    const expectTexts = (got: CapturedMessage[], want: string[]) => {
      const shown = JSON.stringify(texts(got))
      expect(got.length, `captured ${shown}`).toBe(want.length)
      want.forEach((w, i) =>
        expect(same(got[i]?.text ?? '', w), `#${i} ${w} in ${shown}`).toBe(true),
      )
    }

    test('a burst longer than the screen in a new chat is read back to its first message, each once, in order', async () => {
      // Chats the tests above left unread (客户0…9) are read first, so the poll below is the burst.
      await driver.poll()
      let version = 0
      for (const text of burst)
        version = await lookalike.push({ chat: 'burst', title: '老客户', text })
      await lookalike.waitRendered(version)
      const t0 = performance.now()
      const got = await driver.poll()
      console.log(
        `scroll-back poll (badge ${burst.length}): ${Math.round(performance.now() - t0)} ms`,
      )
      expectTexts(got, burst)
      expect(got.every((m) => m.chatKey === '老客户' && m.side === 'customer')).toBe(true)
      const seqs = got.map((m) => m.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(await atBottom()).toBe(true)
      expect(await driver.poll()).toEqual([])
    })

    test('a burst into the open chat, where no badge shows, is read back to the last message read', async () => {
      let version = 0
      for (const text of second) version = await lookalike.push({ chat: 'burst', text })
      await lookalike.waitRendered(version)
      const t0 = performance.now()
      const got = await driver.poll()
      console.log(`scroll-back poll (open chat): ${Math.round(performance.now() - t0)} ms`)
      expectTexts(got, second)
      expect(await atBottom()).toBe(true)
      expect(await driver.poll()).toEqual([])
      // The look-alike kept every message once: nothing was sent or lost on the way.
      const state = await lookalike.state()
      const chat = state.chats.find((c) => c.key === 'burst')
      expect(chat?.messages.map((m) => m.text)).toEqual([...burst, ...second])
    })

    test('the look-alike scrolls like WeChat: the wheel moves the column; new bubbles do not yank a reader down', async () => {
      const column = () =>
        appWindow.page.evaluate(() => {
          const m = document.getElementById('messages') as HTMLElement
          const r = m.getBoundingClientRect()
          const chrome = window.outerHeight - window.innerHeight
          return {
            top: m.scrollTop,
            bottom: m.scrollHeight - m.scrollTop - m.clientHeight <= 2,
            centre: {
              x: Math.round(window.screenX + r.x + r.width / 2),
              y: Math.round(window.screenY + chrome + r.y + r.height / 2),
            },
          }
        })
      // The burst chat above is open, fifty bubbles tall, at its newest.
      const start = await column()
      expect(start.bottom).toBe(true)
      await desktop.scroll(start.centre, -2)
      await expect.poll(async () => (await column()).top).toBeLessThan(start.top - 100)
      // The wheel scrolls smoothly: wait for the column to stop.
      let up = await column()
      for (let last = -1; up.top !== last; up = await column()) {
        last = up.top
        await new Promise((r) => setTimeout(r, 150))
      }
      await lookalike.waitRendered(
        await lookalike.push({ chat: 'burst', text: '往上看的时候来的' }),
      )
      expect(await column()).toMatchObject({ top: up.top, bottom: false })
      await desktop.scroll(start.centre, 10)
      await expect.poll(async () => (await column()).bottom).toBe(true)
      await lookalike.waitRendered(
        await lookalike.push({ chat: 'burst', text: '在底部的时候来的' }),
      )
      expect((await column()).bottom).toBe(true)
      expect(texts(await driver.poll())).toHaveLength(2)
    })
  },
)
