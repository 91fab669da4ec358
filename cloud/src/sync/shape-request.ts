/**
 * Parsing and validating the query string of `GET /v1/shape` (Electric protocol), with errors
 * in Electric's 400 format: `{"message":"Invalid request","errors":{<field>:[msg]}}`.
 */
import { parseOffset, type Offset } from './offsets.ts'

export class ShapeRequestError extends Error {
  readonly errors: Record<string, string[]>
  constructor(field: string, message: string) {
    super(`${field}: ${message}`)
    this.name = 'ShapeRequestError'
    this.errors = { [field]: [message] }
  }
}

export interface ShapeRequest {
  table: string
  offset: Offset
  handle: string | null
  live: boolean
  where: string | null
  params: Record<string, string>
  columns: string[] | null
  replica: 'default' | 'full'
  log: 'full' | 'changes_only'
}

/**
 * Splits a list of Postgres identifiers: unquoted names are lower-cased, quoted names keep
 * case and `""` escapes a quote.
 */
export function parseIdentifiers(raw: string, sep: '.' | ','): string[] | null {
  const out: string[] = []
  let i = 0
  const skipWs = () => {
    while (i < raw.length && /\s/.test(raw[i]!)) i++
  }
  for (;;) {
    skipWs()
    if (raw[i] === '"') {
      let name = ''
      i++
      for (;;) {
        if (i >= raw.length) return null
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') {
            name += '"'
            i += 2
            continue
          }
          i++
          break
        }
        name += raw[i++]
      }
      if (name === '') return null
      out.push(name)
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(raw.slice(i))
      if (!m) return null
      out.push(m[0].toLowerCase())
      i += m[0].length
    }
    skipWs()
    if (i >= raw.length) return out
    if (raw[i] !== sep) return null
    i++
  }
}

/**
 * Lexical guard for a `where` expression before the database sees it: it must stay one
 * parenthesised expression (no `1=1) OR (1=1` break-out), with no statement separators,
 * comments or dollar quotes, and reference only the placeholders it was given.
 */
export function checkWhere(where: string, params: Record<string, string>): string | null {
  let depth = 0
  let i = 0
  const n = where.length
  while (i < n) {
    const ch = where[i]!
    if (ch === "'" || ch === '"') {
      const q = ch
      i++
      for (;;) {
        if (i >= n) return 'has an unterminated quote'
        if (where[i] === q) {
          if (where[i + 1] === q) {
            i += 2
            continue
          }
          break
        }
        i++
      }
      i++
      continue
    }
    if (ch === '(') depth++
    else if (ch === ')') {
      depth--
      if (depth < 0) return 'has an unbalanced parenthesis'
    } else if (ch === ';') return 'may not contain ";"'
    else if (ch === '-' && where[i + 1] === '-') return 'may not contain comments'
    else if (ch === '/' && where[i + 1] === '*') return 'may not contain comments'
    else if (ch === '$') {
      const m = /^\$(\d+)/.exec(where.slice(i))
      if (!m) return 'may not contain dollar quoting'
      if (!Object.hasOwn(params, m[1]!)) return `references $${m[1]} but params[${m[1]}] is missing`
      i += m[0].length
      continue
    } else if (ch === '\\') return 'may not contain backslashes outside strings'
    i++
  }
  if (depth !== 0) return 'has an unbalanced parenthesis'
  if (/\b(pg_sleep|pg_read|pg_ls_dir|pg_stat_file|lo_\w+|dblink\w*|set_config|nextval|setval|pg_terminate_backend|pg_cancel_backend|pg_advisory\w*|pg_notify|current_setting|query_to_xml\w*|pg_logical\w*)\s*\(/i.test(where))
    return 'may only use deterministic, side-effect-free functions'
  return null
}

/** Parses and validates the query string. Throws `ShapeRequestError` on bad input. */
export function parseShapeRequest(q: URLSearchParams): ShapeRequest {
  const tableRaw = q.get('table')
  if (!tableRaw) throw new ShapeRequestError('table', "can't be blank")
  const parts = parseIdentifiers(tableRaw, '.')
  if (!parts || parts.length > 2) throw new ShapeRequestError('table', 'is not a valid table name')
  if (parts.length === 2 && parts[0] !== 'public')
    throw new ShapeRequestError('table', `table not found: ${tableRaw}`)
  const table = parts[parts.length - 1]!

  const offsetRaw = q.get('offset')
  if (offsetRaw === null) throw new ShapeRequestError('offset', "can't be blank")
  const offset = parseOffset(offsetRaw)
  if (!offset) throw new ShapeRequestError('offset', 'has invalid format')

  const handleRaw = q.get('handle')
  const handle = offset.kind === 'at' ? handleRaw : null
  if (offset.kind === 'at' && !handleRaw)
    throw new ShapeRequestError('handle', "can't be blank when offset != -1")

  const liveRaw = q.get('live') ?? 'false'
  if (liveRaw !== 'true' && liveRaw !== 'false') throw new ShapeRequestError('live', 'must be true or false')
  const live = liveRaw === 'true'
  if (live && offset.kind !== 'at')
    throw new ShapeRequestError('live', "can't be true when offset is -1 or now")
  if ((q.get('live_sse') === 'true' || q.get('experimental_live_sse') === 'true') && !live)
    throw new ShapeRequestError('live_sse', 'requires live=true')

  const params: Record<string, string> = {}
  for (const [k, v] of q) {
    const m = /^params\[(\d{1,3})\]$/.exec(k)
    if (m) {
      if (v.length > 10_000) throw new ShapeRequestError(k, 'is too long')
      params[String(Number(m[1]))] = v
    }
  }
  const whereRaw = q.get('where')
  let where: string | null = null
  if (whereRaw !== null && whereRaw.trim() !== '') {
    if (whereRaw.length > 4_000) throw new ShapeRequestError('where', 'is too long')
    const problem = checkWhere(whereRaw, params)
    if (problem) throw new ShapeRequestError('where', problem)
    where = whereRaw
  }

  const colsRaw = q.get('columns')
  let columns: string[] | null = null
  if (colsRaw !== null) {
    const cols = parseIdentifiers(colsRaw, ',')
    if (!cols || cols.length === 0) throw new ShapeRequestError('columns', 'is not a valid column list')
    columns = [...new Set(cols)]
  }

  const replica = q.get('replica') ?? 'default'
  if (replica !== 'default' && replica !== 'full')
    throw new ShapeRequestError('replica', 'must be default or full')
  const log = q.get('log') ?? 'full'
  if (log !== 'full' && log !== 'changes_only')
    throw new ShapeRequestError('log', 'must be full or changes_only')

  return { table, offset, handle, live, where, params, columns, replica, log }
}
