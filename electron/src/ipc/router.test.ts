import { expect, test } from 'vitest'
import { z } from 'zod'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { createIpcRouter, IpcError, route } from './router.ts'

const quiet = pino({ level: 'silent' })

test('a valid argument reaches the handler and its value comes back ok', async () => {
  const r = createIpcRouter(
    { 'kefu:messages': route(z.uuid(), async (id) => ({ id })) },
    { logger: quiet },
  )
  const id = '0190f2a4-7c1e-7000-8000-000000000001'
  expect(r.channels).toEqual(['kefu:messages'])
  expect(await r.invoke('kefu:messages', id)).toEqual({ ok: true, value: { id } })
})

test('a bad argument is refused with a message and the handler never runs', async () => {
  let ran = false
  const r = createIpcRouter(
    { 'kefu:take-over': route(z.uuid(), async () => void (ran = true)) },
    { logger: quiet },
  )
  for (const bad of [undefined, 42, 'not-a-uuid', { id: 'x' }]) {
    const out = await r.invoke('kefu:take-over', bad)
    expect(out).toMatchObject({ ok: false, error: { code: 'invalid' } })
    expect(out.ok || out.error.message).toMatch(/参数无效/)
  }
  expect(ran).toBe(false)
})

test('an unknown channel is not_found', async () => {
  const r = createIpcRouter({}, { logger: quiet })
  expect(await r.invoke('kefu:drop-tables', undefined)).toMatchObject({
    ok: false,
    error: { code: 'not_found' },
  })
})

test('expected failures keep their code and message; bugs become a bare internal error', async () => {
  const lines: string[] = []
  const logger = pino(
    { level: 'error' },
    new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
  )
  const r = createIpcRouter(
    {
      'kefu:release': route(z.undefined(), async () => {
        throw new IpcError('not_found', '会话不存在')
      }),
      'kefu:status': route(z.undefined(), async () => {
        throw new TypeError('secret detail')
      }),
    },
    { logger },
  )
  expect(await r.invoke('kefu:release', undefined)).toEqual({
    ok: false,
    error: { code: 'not_found', message: '会话不存在' },
  })
  const bug = await r.invoke('kefu:status', undefined)
  expect(bug).toEqual({ ok: false, error: { code: 'internal', message: '内部错误，请查看日志' } })
  expect(lines.join('')).toContain('ipc handler failed')
})
