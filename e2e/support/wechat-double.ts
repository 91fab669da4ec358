/**
 * A WeChat stand-in that lives outside the agent process, so it survives `kill -9` of the
 * agent the way the real WeChat does. The parent test owns the chats; the agent child reads
 * them through `createRemoteDriver`, which, like the screen driver after a restart, first sees
 * only the last `VISIBLE` bubbles of each chat.
 */
import { Hono } from 'hono'
import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { CapturedMessage, DriverStatus, SendResult, WeChatDriver } from '../../agent/src/driver/driver.ts'

// Like the screen driver reading a chat's scrollback (the alignment is what is under test, not
// how far back a screen can scroll; a tiny window would drop messages the first poll after a
// slow start could not see, which is a driver limitation, not a sync one).
export const VISIBLE = 100

export interface WeChatDouble {
  url: string
  push(chat: string, text: string): void
  total(): number
  sent(): { chat: string; text: string }[]
  close(): Promise<void>
}

export async function startWeChatDouble(): Promise<WeChatDouble> {
  const chats = new Map<string, string[]>()
  const sent: { chat: string; text: string }[] = []
  let total = 0
  const app = new Hono()
  app.get('/chats', (c) => c.json(Object.fromEntries([...chats].map(([k, v]) => [k, v.length]))))
  app.get('/chat/:key', (c) => {
    const all = chats.get(c.req.param('key')) ?? []
    const from = Math.max(Number(c.req.query('from') ?? 0), 0)
    return c.json({ from, texts: all.slice(from) })
  })
  app.post('/send', async (c) => {
    sent.push((await c.req.json()) as { chat: string; text: string })
    return c.json({ ok: true })
  })
  const server: ServerType = await new Promise((r) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => r(s))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    push(chat, text) {
      chats.set(chat, [...(chats.get(chat) ?? []), text])
      total++
    },
    total: () => total,
    sent: () => sent,
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/** The agent side: reads the double over HTTP with a cursor that a restart loses. */
export function createRemoteDriver(url: string): WeChatDriver {
  const cursor = new Map<string, number>()
  let lastCaptureAt: Date | null = null
  let seq = 0
  return {
    async start() {},
    async poll() {
      // All or nothing, as the driver contract requires: a request that fails half-way (the
      // machine is loaded, a keep-alive socket closes) must not move any chat's cursor past
      // bubbles this poll then never returned.
      const lengths = (await (await fetch(`${url}/chats`)).json()) as Record<string, number>
      const out: CapturedMessage[] = []
      const moved = new Map<string, number>()
      for (const [chat, len] of Object.entries(lengths)) {
        const known = cursor.get(chat)
        if (known === len) continue
        const from = known ?? Math.max(0, len - VISIBLE)
        const r = (await (await fetch(`${url}/chat/${encodeURIComponent(chat)}?from=${from}`)).json()) as { texts: string[] }
        for (const text of r.texts)
          out.push({ chatKey: chat, chatTitle: chat, isGroup: false, side: 'customer', sender: null, text, seenAt: new Date(), seq: seq++, mentioned: false })
        moved.set(chat, from + r.texts.length)
      }
      for (const [chat, at] of moved) cursor.set(chat, at)
      if (out.length) lastCaptureAt = new Date()
      return out
    },
    async send(chat, text): Promise<SendResult> {
      await fetch(`${url}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat, text }) })
      return { ok: true, verifiedAt: new Date() }
    },
    status(): DriverStatus {
      return { windowFound: true, lastCaptureAt }
    },
    async stop() {},
  }
}
