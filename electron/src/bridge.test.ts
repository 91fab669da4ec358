import { expect, test } from 'vitest'
import { createKefuBridge, type IpcRendererLike } from './bridge.ts'
import { KefuApiError, type IpcResult } from './api.ts'

type Listener = (event: unknown, ...args: unknown[]) => void

function fakeIpcRenderer(
  answer: (channel: string, args: unknown[]) => IpcResult<unknown> | unknown,
) {
  const calls: Array<[string, unknown[]]> = []
  const listeners = new Map<string, Set<Listener>>()
  const ipc: IpcRendererLike = {
    async invoke(channel, ...args) {
      calls.push([channel, args])
      return answer(channel, args)
    },
    on(channel, l) {
      listeners.set(channel, (listeners.get(channel) ?? new Set()).add(l))
    },
    removeListener(channel, l) {
      listeners.get(channel)?.delete(l)
    },
  }
  const emit = (channel: string, ...args: unknown[]) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'electron internals' }, ...args)
  }
  return { ipc, calls, emit, listeners }
}

test('each call invokes its channel with the conversation id and unwraps the value', async () => {
  const f = fakeIpcRenderer((channel, args) => ({ ok: true, value: { channel, args } }))
  const kefu = createKefuBridge(f.ipc)
  const id = '0190f2a4-7c1e-7000-8000-000000000001'
  await kefu.status()
  await kefu.conversations()
  await kefu.messages(id)
  await kefu.takeOver(id)
  expect(await kefu.release(id)).toEqual({ channel: 'kefu:release', args: [id] })
  expect(f.calls).toEqual([
    ['kefu:status', []],
    ['kefu:conversations', []],
    ['kefu:messages', [id]],
    ['kefu:take-over', [id]],
    ['kefu:release', [id]],
  ])
})

test('an error answer becomes a KefuApiError with its code and message', async () => {
  const f = fakeIpcRenderer(() => ({
    ok: false,
    error: { code: 'not_found', message: '会话不存在' },
  }))
  const err = await createKefuBridge(f.ipc)
    .takeOver('x')
    .catch((e: unknown) => e)
  expect(err).toBeInstanceOf(KefuApiError)
  expect(err).toMatchObject({ code: 'not_found', message: '会话不存在' })
  const odd = fakeIpcRenderer(() => 'surprise')
  await expect(createKefuBridge(odd.ipc).status()).rejects.toThrow(/unexpected answer/)
})

test('onStatus passes only the status to the callback and unsubscribes', () => {
  const f = fakeIpcRenderer(() => null)
  const seen: unknown[][] = []
  const off = createKefuBridge(f.ipc).onStatus((...args) => seen.push(args))
  f.emit('kefu:status-changed', { online: true })
  off()
  f.emit('kefu:status-changed', { online: false })
  expect(seen).toEqual([[{ online: true }]])
  expect(f.listeners.get('kefu:status-changed')?.size).toBe(0)
})
