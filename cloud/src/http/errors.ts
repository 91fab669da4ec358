import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ZodError, type ZodType, type z } from 'zod'
import type { WireError } from '@kefu/schema'

/** An HTTP error carrying one `WireError` body. Routes throw it; `onError` renders it. */
export class ApiError extends HTTPException {
  readonly body: WireError
  readonly headers: Record<string, string>
  constructor(status: ContentfulStatusCode, body: WireError, headers: Record<string, string> = {}) {
    super(status, { message: body.message })
    this.name = 'ApiError'
    this.body = body
    this.headers = headers
  }
}

export const badRequest = (message: string, field?: string): ApiError =>
  new ApiError(400, field === undefined ? { code: 'invalid', message } : { code: 'invalid', message, field })
export const unauthorized = (message = 'authentication required'): ApiError =>
  new ApiError(401, { code: 'unauthorized', message }, { 'www-authenticate': 'Bearer' })
export const forbidden = (message: string): ApiError => new ApiError(403, { code: 'forbidden', message })
export const notFound = (message: string): ApiError => new ApiError(404, { code: 'not_found', message })

/** The path of the first issue, as a person reads it: `changes[3].row.text`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  )
}

/** Turns a ZodError into a 400 naming the field and what is wrong with it. */
export function fromZod(err: ZodError, prefix = ''): ApiError {
  const issue = err.issues[0]
  if (!issue) return badRequest('invalid input')
  const path = issuePath([...(prefix ? [prefix] : []), ...issue.path])
  return badRequest(path ? `${path}: ${issue.message}` : issue.message, path || undefined)
}

/** Validates `value` against `schema` or throws a 400 naming the field. */
export function validate<S extends ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const r = schema.safeParse(value)
  if (!r.success) throw fromZod(r.error, prefix)
  return r.data
}

/** Reads a JSON body, with 400 (not 500) for malformed JSON. */
export async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? ''
  if (!type.includes('application/json'))
    throw new ApiError(415 as ContentfulStatusCode, { code: 'invalid', message: 'content-type must be application/json' })
  const text = await req.text()
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw badRequest('body is not valid JSON')
  }
}

export { ZodError }
