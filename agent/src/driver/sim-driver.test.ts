import { describe, expect, test } from 'vitest'
import { isMention } from './driver.ts'
import { createSimDriver } from './sim-driver.ts'

describe('sim driver', () => {
  test('returns each customer message once, numbered per chat', async () => {
    const d = createSimDriver()
    await d.start()
    d.pushCustomerMessage('张三', '在吗？')
    d.pushCustomerMessage('张三', '订单 A123 什么时候发货？')
    d.pushCustomerMessage('李四', '你好')
    const got = await d.poll()
    expect(got.map((m) => [m.chatKey, m.seq, m.side, m.text])).toEqual([
      ['张三', 0, 'customer', '在吗？'],
      ['张三', 1, 'customer', '订单 A123 什么时候发货？'],
      ['李四', 0, 'customer', '你好'],
    ])
    expect(await d.poll()).toEqual([])
  })

  test('what the agent sends is recorded and never polled back', async () => {
    const d = createSimDriver()
    await d.start()
    d.pushCustomerMessage('张三', '在吗？')
    await d.poll()
    expect(await d.send('张三', '在的，请问有什么可以帮您？')).toMatchObject({ ok: true })
    expect(d.sent().map((s) => [s.chatKey, s.text])).toEqual([
      ['张三', '在的，请问有什么可以帮您？'],
    ])
    expect(await d.poll()).toEqual([])
    expect(await d.hasSent('张三', '在的，请问有什么可以帮您？')).toBe(true)
    expect(await d.hasSent('张三', '别的')).toBe(false)
    d.pushCustomerMessage('张三', '谢谢')
    expect((await d.poll())[0]?.seq).toBe(2)
  })

  test('a person typing in WeChat comes back as our side', async () => {
    const d = createSimDriver()
    await d.start()
    d.typeAsHuman('张三', '我来处理')
    expect(await d.poll()).toMatchObject([
      { chatKey: '张三', side: 'self', sender: null, text: '我来处理' },
    ])
  })

  test('group messages carry the sender and the mention flag', async () => {
    const d = createSimDriver({ selfName: '客服小美' })
    await d.start()
    d.pushCustomerMessage('售后群', '@客服小美 退货怎么走？', { group: true, sender: '李四' })
    d.pushCustomerMessage('售后群', '我也想问', { sender: '王五' })
    const [a, b] = await d.poll()
    expect(a).toMatchObject({ isGroup: true, sender: '李四', mentioned: true })
    expect(b).toMatchObject({ isGroup: true, sender: '王五', mentioned: false })
  })

  test('send fails for an unknown chat, when told to, and before start', async () => {
    const d = createSimDriver()
    expect(await d.send('张三', 'x')).toEqual({ ok: false, reason: 'driver not started' })
    await d.start()
    expect(await d.send('张三', 'x')).toEqual({ ok: false, reason: 'chat not found' })
    d.pushCustomerMessage('张三', '在吗')
    d.failNextSend('window covered')
    expect(await d.send('张三', 'x')).toEqual({ ok: false, reason: 'window covered' })
    expect(await d.send('张三', 'x')).toMatchObject({ ok: true })
  })
})

describe('isMention', () => {
  test('matches @name even with OCR spaces, and @所有人', () => {
    expect(isMention('@客服小美 在吗', '客服小美')).toBe(true)
    expect(isMention('@ 客服 小美在吗', '客服小美')).toBe(true)
    expect(isMention('@所有人 开会', null)).toBe(true)
    expect(isMention('客服小美在吗', '客服小美')).toBe(false)
  })
})
