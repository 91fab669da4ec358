/**
 * The `window.kefu` API built over an `ipcRenderer`: each call invokes one channel and unwraps
 * its {@link IpcResult}. Kept apart from `preload.ts` (which only hands this to
 * `contextBridge`) so it runs in Node tests with a fake `ipcRenderer`.
 */
import {
  Channel,
  EventChannel,
  KefuApiError,
  type IpcResult,
  type KefuApi,
  type StatusView,
} from './api.ts'

/** The slice of Electron's `ipcRenderer` the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown
}

function isResult(v: unknown): v is IpcResult<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean'
}

/** Builds the API the preload exposes as `window.kefu`. */
export function createKefuBridge(ipc: IpcRendererLike): KefuApi {
  const call = async <T>(channel: Channel, arg?: string): Promise<T> => {
    const r = await (arg === undefined ? ipc.invoke(channel) : ipc.invoke(channel, arg))
    if (!isResult(r)) throw new KefuApiError('internal', `unexpected answer on ${channel}`)
    if (!r.ok) throw new KefuApiError(r.error.code, r.error.message)
    return r.value as T
  }
  return {
    status: () => call(Channel.status),
    conversations: () => call(Channel.conversations),
    messages: (id) => call(Channel.messages, id),
    takeOver: (id) => call(Channel.takeOver, id),
    release: (id) => call(Channel.release, id),
    onStatus(cb) {
      // Only the status crosses to the page, never Electron's event object.
      const listener = (_event: unknown, status: unknown) => cb(status as StatusView)
      ipc.on(EventChannel.status, listener)
      return () => {
        ipc.removeListener(EventChannel.status, listener)
      }
    },
  }
}
