/**
 * What a console user's shape `where` may say. The lexical guard in sync/shape-request.ts keeps
 * the expression in one piece; this keeps it about the shape's own table. Without it a
 * `read:message` user could ask `EXISTS (SELECT 1 FROM users WHERE password_hash LIKE 'scrypt$a%')`
 * or `table_to_xml('refresh_tokens', …)` and read any table one bit at a time.
 *
 * Allowed: the table's columns (bare or double-quoted), literals, `$n`, operators, a fixed set of
 * keywords, type names in casts, and the side-effect-free functions below. Refused: any other
 * word (table names, SELECT/TABLE/VALUES, other functions), qualified names, non-ASCII outside
 * literals. The database still compiles and runs it read-only.
 */

const KEYWORDS = new Set(
  (
    'and or not is null true false unknown in like ilike similar to escape between symmetric any all some array ' +
    'case when then else end distinct from isnull notnull as at time zone interval for collate ' +
    'current_date current_time current_timestamp localtime localtimestamp ' +
    'year month day hour minute second epoch dow doy isodow week quarter microseconds milliseconds'
  ).split(' '),
)

const TYPES = new Set(
  (
    'text varchar char character varying int int2 int4 int8 integer smallint bigint numeric decimal real ' +
    'double precision float float4 float8 boolean bool uuid date timestamp timestamptz with without timetz jsonb json'
  ).split(' '),
)

const FUNCTIONS = new Set(
  (
    'lower upper length char_length character_length octet_length coalesce nullif greatest least abs round ' +
    'floor ceil ceiling trunc mod trim btrim ltrim rtrim substring substr position strpos starts_with left right ' +
    'replace concat concat_ws date_trunc date_part extract now age to_timestamp array_length array_position ' +
    'cardinality jsonb_array_length jsonb_typeof jsonb_extract_path_text cast'
  ).split(' '),
)

/** Why `where` may not be used on a table with `columns`, or null when it may. */
export function whereAllowlistProblem(where: string, columns: readonly string[]): string | null {
  const cols = new Set(columns)
  const n = where.length
  let i = 0
  const nextNonSpace = (from: number): string | undefined => {
    let j = from
    while (j < n && /\s/.test(where[j]!)) j++
    return where[j]
  }
  while (i < n) {
    const ch = where[i]!
    if (/\s/.test(ch)) {
      i++
      continue
    }
    if (ch === "'") {
      // A standard string literal ('' escapes a quote); the lexical guard made sure it ends.
      i++
      while (i < n) {
        if (where[i] === "'") {
          if (where[i + 1] === "'") {
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
    if (ch === '"') {
      let name = ''
      i++
      while (i < n) {
        if (where[i] === '"') {
          if (where[i + 1] === '"') {
            name += '"'
            i += 2
            continue
          }
          break
        }
        name += where[i++]
      }
      i++
      if (!cols.has(name)) return `refers to "${name}", which is not a column of this table`
      if (nextNonSpace(i) === '(' || nextNonSpace(i) === '.')
        return `may not call or qualify "${name}"`
      continue
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(where.slice(i, i + 64))
    if (num) {
      i += num[0].length
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(where.slice(i, i + 128))
    if (word) {
      const w = word[0]
      const lw = w.toLowerCase()
      i += w.length
      const after = nextNonSpace(i)
      if (where[i] === "'") return `may not use prefixed string literals (${w}'…')`
      if (where[i] === '$') return `may not use ${w}$`
      if (after === '.') return `may not use qualified names (${w}.…)`
      if (after === '(') {
        if (FUNCTIONS.has(lw) || KEYWORDS.has(lw) || TYPES.has(lw)) continue
        return `may not call ${w}(): not an allowed function`
      }
      if (cols.has(lw) || KEYWORDS.has(lw) || TYPES.has(lw)) continue
      return `refers to ${w}, which is not a column of this table`
    }
    if (ch === '$') {
      const m = /^\$\d{1,3}/.exec(where.slice(i, i + 4))
      if (!m) return 'may not use dollar quoting'
      i += m[0].length
      continue
    }
    if (ch === '.') return 'may not use qualified names'
    if (/[()[\],+\-*/<>=~!@#%^&|?:]/.test(ch)) {
      i++
      continue
    }
    return `may not contain ${JSON.stringify(ch)} outside string literals`
  }
  return null
}
