/**
 * A small Hono server for the WeChat look-alike: the page (plain HTML/CSS/JS in `public/`),
 * the page's own API (`/api/*`: long-poll state, open a chat, send from the input box) and a
 * JSON control API for tests (`/control/*`).
 *
 *   POST /control/push  {chat, title?, group?, sender?, members?, text}  a customer message
 *   POST /control/human {chat, text}   a person types in WeChat (opens the chat, our bubble)
 *   GET  /control/sent                 {sent: {chat: [text…]}} what went through the input box
 *   GET  /control/state                the whole model
 *   POST /control/reset                forget every chat
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { createLookalikeState, type LookalikeSnapshot, type PushInput } from './lookalike-state.ts'

const PushBody = z.object({
  chat: z.string().min(1).max(64),
  text: z.string().min(1).max(2000),
  title: z.string().min(1).max(64).optional(),
  group: z.boolean().optional(),
  sender: z.string().min(1).max(64).optional(),
  members: z.number().int().min(1).max(500).optional(),
})
const ChatText = z.object({ chat: z.string().min(1).max(64), text: z.string().min(1).max(2000) })
const ChatOnly = z.object({ chat: z.string().min(1).max(64) })
const Rendered = z.object({ version: z.number().int().min(0) })

const ASSETS = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/lookalike.css': ['lookalike.css', 'text/css; charset=utf-8'],
  '/lookalike.js': ['lookalike.js', 'text/javascript; charset=utf-8'],
} as const

/** Options for {@link startLookalike}. */
export interface LookalikeOptions {
  /** 0 (default) picks a free port. */
  port?: number
  /** Our display name in group chats (`@name` is a mention). */
  selfName?: string
  now?: () => number
}

/** A running look-alike server and typed helpers for its control API. */
export interface Lookalike {
  url: string
  push(input: PushInput): Promise<number>
  human(chat: string, text: string): Promise<number>
  sent(): Promise<Record<string, string[]>>
  state(): Promise<LookalikeSnapshot>
  reset(): Promise<void>
  /** Resolves once the page reports it painted `version` (or a later one). */
  waitRendered(version: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

async function json<T extends z.ZodType>(body: Promise<unknown>, schema: T): Promise<z.infer<T>> {
  const parsed = schema.safeParse(await body.catch(() => undefined))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new HTTPException(400, {
      message: `bad body: ${issue?.path.join('.')} ${issue?.message}`,
    })
  }
  return parsed.data
}

/** Builds the look-alike's Hono app around a fresh model. */
export function createLookalikeApp(opts: LookalikeOptions = {}) {
  const state = createLookalikeState(opts)
  let rendered = 0
  let renderWaiters: Array<() => void> = []
  const app = new Hono()

  for (const [path, [file, type]] of Object.entries(ASSETS)) {
    app.get(path, async (c) => {
      const body = await readFile(new URL(`./public/${file}`, import.meta.url), 'utf8')
      return c.body(body, 200, { 'content-type': type, 'cache-control': 'no-store' })
    })
  }
  app.get('/api/state', async (c) => {
    const after = Number(c.req.query('after') ?? '-1')
    await state.waitForChange(Number.isFinite(after) ? after : -1, 20_000)
    return c.json(state.snapshot())
  })
  app.post('/api/open', async (c) => {
    const { chat } = await json(c.req.json(), ChatOnly)
    return c.json({ version: state.open(chat) })
  })
  app.post('/api/send', async (c) => {
    const { chat, text } = await json(c.req.json(), ChatText)
    return c.json({ version: state.send(chat, text) })
  })
  app.post('/api/rendered', async (c) => {
    const { version } = await json(c.req.json(), Rendered)
    rendered = Math.max(rendered, version)
    const ws = renderWaiters
    renderWaiters = []
    for (const w of ws) w()
    return c.json({ ok: true })
  })

  app.post('/control/push', async (c) => {
    const body = await json(c.req.json(), PushBody)
    return c.json({ version: state.push(body) })
  })
  app.post('/control/human', async (c) => {
    const { chat, text } = await json(c.req.json(), ChatText)
    return c.json({ version: state.human(chat, text) })
  })
  app.get('/control/sent', (c) => c.json({ sent: state.sent() }))
  app.get('/control/state', (c) => c.json(state.snapshot()))
  app.post('/control/reset', (c) => c.json({ version: state.reset() }))

  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json({ error: err.message }, err.status)
    return c.json({ error: 'internal error' }, 500)
  })

  const waitRendered = async (version: number, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (rendered < version) {
      if (Date.now() > deadline) throw new Error(`page did not render v${version}`)
      await new Promise<void>((resolve) => {
        renderWaiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }
  return { app, state, waitRendered }
}

/** Starts the look-alike on localhost; tests drive it through the returned helpers. */
export async function startLookalike(opts: LookalikeOptions = {}): Promise<Lookalike> {
  const { app, waitRendered } = createLookalikeApp(opts)
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: '127.0.0.1' }, () =>
      resolve(s),
    )
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const init: RequestInit =
      body === undefined
        ? {}
        : {
            method: 'POST',
            body: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }
    const res = await fetch(url + path, init)
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  return {
    url,
    push: async (input) => (await call<{ version: number }>('/control/push', input)).version,
    human: async (chat, text) =>
      (await call<{ version: number }>('/control/human', { chat, text })).version,
    sent: async () => (await call<{ sent: Record<string, string[]> }>('/control/sent')).sent,
    state: () => call<LookalikeSnapshot>('/control/state'),
    reset: async () => {
      await call('/control/reset', {})
    },
    waitRendered,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        // Long-polling pages hold connections open; do not wait 20 s for them.
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
