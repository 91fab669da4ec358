import { describe, expect, test } from 'vitest'
import { createLookalikeApp } from './lookalike-server.ts'

const post = (body: unknown) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
})

describe('look-alike control API', () => {
  test('a customer message raises the badge and updates the preview order', async () => {
    const { app, state } = createLookalikeApp()
    await app.request('/control/push', post({ chat: 'a', title: '张三', text: '在吗' }))
    await app.request('/control/push', post({ chat: 'b', title: '李四', text: '你好' }))
    await app.request('/control/push', post({ chat: 'a', text: '订单到哪了？' }))
    const snap = state.snapshot()
    expect(snap.chats.map((c) => [c.key, c.unread])).toEqual([
      ['a', 2],
      ['b', 1],
    ])
    expect(snap.chats[0]?.title).toBe('张三')
  })

  test('opening a chat clears its badge; messages to the open chat raise none', async () => {
    const { app, state } = createLookalikeApp()
    await app.request('/control/push', post({ chat: 'a', text: '在吗' }))
    await app.request('/api/open', post({ chat: 'a' }))
    await app.request('/control/push', post({ chat: 'a', text: '还在吗' }))
    expect(state.snapshot().chats[0]).toMatchObject({ unread: 0 })
  })

  test('an @mention in a group flags the chat until it is opened', async () => {
    const { app, state } = createLookalikeApp({ selfName: '客服小美' })
    await app.request(
      '/control/push',
      post({ chat: 'g', group: true, sender: '王五', text: '@客服小美 在吗' }),
    )
    expect(state.snapshot().chats[0]).toMatchObject({ group: true, mentioned: true, unread: 1 })
    expect(state.snapshot().chats[0]?.messages[0]?.sender).toBe('王五')
    await app.request('/api/open', post({ chat: 'g' }))
    expect(state.snapshot().chats[0]).toMatchObject({ mentioned: false, unread: 0 })
  })

  test('/control/sent lists input-box sends only, not what a person typed', async () => {
    const { app } = createLookalikeApp()
    await app.request('/control/push', post({ chat: 'a', text: '在吗' }))
    await app.request('/api/send', post({ chat: 'a', text: '在的' }))
    const human = await app.request('/control/human', post({ chat: 'a', text: '我来' }))
    expect(human.status).toBe(200)
    const res = await app.request('/control/sent')
    expect(await res.json()).toEqual({ sent: { a: ['在的'] } })
  })

  test('reset forgets every chat', async () => {
    const { app, state } = createLookalikeApp()
    await app.request('/control/push', post({ chat: 'a', text: '在吗' }))
    await app.request('/control/reset', post({}))
    expect(state.snapshot().chats).toEqual([])
  })

  test('a bad body is a 400 with a message', async () => {
    const { app } = createLookalikeApp()
    const res = await app.request('/control/push', post({ chat: 'a' }))
    expect(res.status).toBe(400)
    expect((await res.json()) as { error: string }).toMatchObject({
      error: expect.stringContaining('text'),
    })
  })

  test('the page long-polls: /api/state answers once the model changed', async () => {
    const { app, state } = createLookalikeApp()
    const pending = app.request(`/api/state?after=${state.version}`)
    state.push({ chat: 'a', text: '在吗' })
    const snap = (await (await pending).json()) as { version: number }
    expect(snap.version).toBe(state.version)
  })

  test('serves the page', async () => {
    const { app } = createLookalikeApp()
    const res = await app.request('/')
    expect(await res.text()).toContain('<title>微信</title>')
  })
})
