/**
 * A row filter that can be both rendered as SQL (for snapshots) and evaluated on captured row
 * images (for live changes) without a database round trip. Values compare as the columns'
 * Postgres text form, which is what the change log stores.
 */
export type Filter =
  | { op: 'eq'; column: string; value: string }
  | { op: 'and'; filters: Filter[] }
  | { op: 'true' }

export const eq = (column: string, value: string): Filter => ({ op: 'eq', column, value })
export const and = (...filters: Filter[]): Filter => ({ op: 'and', filters })
export const all: Filter = { op: 'true' }

const IDENT = /^[a-z_][a-z0-9_]*$/

/** Renders a filter as a SQL boolean expression with `$n` placeholders, plus its params. */
export function filterToSql(f: Filter, firstParam = 1): { sql: string; params: string[] } {
  const params: string[] = []
  const render = (x: Filter): string => {
    switch (x.op) {
      case 'true':
        return 'true'
      case 'eq':
        if (!IDENT.test(x.column)) throw new Error(`bad column ${x.column}`)
        params.push(x.value)
        // Compare the column's output form (what the change log's row images hold, and what the
        // in-memory evaluation below compares): `format('%s', …)`, not `::text`, which turns a
        // boolean into 'true' where its output form (and the log) says 't'.
        return `format('%s', "${x.column}") = $${firstParam + params.length - 1}`
      case 'and':
        return x.filters.length === 0 ? 'true' : x.filters.map((y) => `(${render(y)})`).join(' AND ')
    }
  }
  return { sql: render(f), params }
}

/** Evaluates a filter on a row image of text values (null-safe: NULL never equals). */
export function matchesRow(f: Filter, row: Readonly<Record<string, string | null>>): boolean {
  switch (f.op) {
    case 'true':
      return true
    case 'eq':
      return row[f.column] === f.value
    case 'and':
      return f.filters.every((g) => matchesRow(g, row))
  }
}
