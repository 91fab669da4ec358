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
  new ApiError(
    400,
    field === undefined ? { code: 'invalid', message } : { code: 'invalid', message, field },
  )
export const unauthorized = (message = 'authentication required'): ApiError =>
  new ApiError(401, { code: 'unauthorized', message }, { 'www-authenticate': 'Bearer' })
export const forbidden = (message: string): ApiError =>
  new ApiError(403, { code: 'forbidden', message })
export const notFound = (message: string): ApiError =>
  new ApiError(404, { code: 'not_found', message })
export const conflict = (message: string): ApiError =>
  new ApiError(409, { code: 'conflict', message })
/** 429 with `Retry-After`, the one signal clients back off on. */
export const rateLimited = (retryAfterS: number, message = 'too many requests'): ApiError =>
  new ApiError(
    429,
    {
      code: 'rate_limited',
      message: `${message}; retry after ${retryAfterS} s`,
      retry_after_s: retryAfterS,
    },
    { 'retry-after': String(retryAfterS) },
  )
export const tooLarge = (message = 'request body too large'): ApiError =>
  new ApiError(413, { code: 'too_large', message })

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

// Lone UTF-16 surrogates: JSON's \ud800 escapes can produce them, UTF-8 cannot hold them.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why a string cannot be stored as Postgres text, or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'may not contain NUL (\\u0000) characters'
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate'
  return null
}

/**
 * The path and problem of the first string (value or key) in a parsed JSON document that
 * Postgres text cannot hold, or null. Iterative: nesting depth is bounded only by the body size.
 */
export function findBadText(doc: unknown): { path: string; problem: string } | null {
  const stack: { v: unknown; path: PropertyKey[] }[] = [{ v: doc, path: [] }]
  while (stack.length > 0) {
    const { v, path } = stack.pop()!
    if (typeof v === 'string') {
      const problem = textProblem(v)
      if (problem) return { path: issuePath(path), problem }
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] })
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!
        const problem = textProblem(k)
        if (problem)
          return {
            path: issuePath([...path, k.replaceAll('\u0000', '\\u0000')]),
            problem: `key ${problem}`,
          }
        stack.push({ v: x, path: [...path, k] })
      }
    }
  }
  return null
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads a JSON body: 415 without a JSON content type; 400 (never 500) for bytes that are not
 * UTF-8, text that is not JSON, and strings Postgres cannot store (NUL, lone surrogates), the
 * latter naming the field.
 */
export async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new ApiError(415 as ContentfulStatusCode, {
      code: 'invalid',
      message: 'content-type must be application/json',
    })
  const bytes = await req.arrayBuffer()
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw badRequest('body is not valid UTF-8')
  }
  let doc: unknown
  try {
    doc = JSON.parse(text) as unknown
  } catch {
    throw badRequest('body is not valid JSON')
  }
  const bad = findBadText(doc)
  if (bad)
    throw badRequest(bad.path ? `${bad.path}: ${bad.problem}` : bad.problem, bad.path || undefined)
  return doc
}

/** A Postgres error's SQLSTATE (postgres.js and PGlite errors both carry `code` and `severity`). */
export function sqlState(err: unknown): string | null {
  if (typeof err !== 'object' || err === null || !('severity' in err) || !('code' in err))
    return null
  const code = (err as { code: unknown }).code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null
}

/**
 * Maps a database error caused by the request's data to a 4xx: class 22 (data exception: a
 * value out of range, malformed, untranslatable) → 400, unique violation → 409. Anything else
 * is a bug or an outage and stays a 500 (null).
 */
export function fromDatabase(err: unknown, where = ''): ApiError | null {
  const code = sqlState(err)
  if (!code) return null
  const prefix = where ? `${where}: ` : ''
  if (code.startsWith('22')) {
    const msg = (err as Error).message.slice(0, 200)
    return new ApiError(
      400,
      where
        ? { code: 'invalid', message: `${prefix}invalid value (${msg})`, field: where }
        : { code: 'invalid', message: `invalid value (${msg})` },
    )
  }
  if (code === '23505') return conflict(`${prefix}already exists`)
  return null
}

export { ZodError }
