/**
 * Routes IPC invokes to handlers: validates the argument with the route's zod schema, runs the
 * handler, and answers an {@link IpcResult}. Handlers signal expected failures by throwing an
 * {@link IpcError}; anything else is a bug, logged and answered as `internal` without details
 * (an error message may quote data the window should not see twice).
 */
import type { Logger } from 'pino'
import type { z } from 'zod'
import { ErrorCode, type Channel, type IpcResult } from '../api.ts'

/** An expected failure a handler reports to the window (bad input, unknown conversation). */
export class IpcError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'IpcError'
    this.code = code
  }
}

/** One channel: the schema of its single argument and the handler. */
export interface Route<S extends z.ZodType = z.ZodType, O = unknown> {
  input: S
  handle(input: z.output<S>): Promise<O>
}

/** Declares a route with its input type inferred from the schema. */
export function route<S extends z.ZodType, O>(
  input: S,
  handle: (input: z.output<S>) => Promise<O>,
): Route<S, O> {
  return { input, handle }
}

export type Routes = Partial<Record<Channel, Route>>

export interface IpcRouter {
  readonly channels: readonly Channel[]
  invoke(channel: string, arg: unknown): Promise<IpcResult<unknown>>
}

export function createIpcRouter(routes: Routes, opts: { logger: Logger }): IpcRouter {
  const log = opts.logger.child({ component: 'ipc' })
  const table = new Map(Object.entries(routes) as [Channel, Route][])
  return {
    channels: [...table.keys()],
    async invoke(channel, arg) {
      const r = table.get(channel as Channel)
      if (!r)
        return {
          ok: false,
          error: { code: ErrorCode.notFound, message: `没有这个接口：${channel}` },
        }
      const parsed = r.input.safeParse(arg)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where = issue?.path.length ? ` (${issue.path.join('.')})` : ''
        return {
          ok: false,
          error: { code: ErrorCode.invalid, message: `参数无效${where}：${issue?.message ?? ''}` },
        }
      }
      try {
        return { ok: true, value: await r.handle(parsed.data) }
      } catch (err) {
        if (err instanceof IpcError)
          return { ok: false, error: { code: err.code, message: err.message } }
        log.error({ err, channel }, 'ipc handler failed')
        return { ok: false, error: { code: ErrorCode.internal, message: '内部错误，请查看日志' } }
      }
    },
  }
}
