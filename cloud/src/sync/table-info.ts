/**
 * Column metadata of the synced tables, read from the catalog: the `electric-schema` header,
 * the primary key and the set of valid column names.
 */
import type { Queryable } from '@kefu/migrations'

export interface ColumnInfo {
  name: string
  type: string
  dims: number
  notNull: boolean
  pkIndex: number | null
  typmod: number
}

export interface TableInfo {
  schema: string
  name: string
  columns: ColumnInfo[]
  pk: string[]
  byName: Map<string, ColumnInfo>
}

/** Loads the metadata of `public.<table>`, or null when it does not exist. */
export async function loadTableInfo(db: Queryable, table: string): Promise<TableInfo | null> {
  const rows = await db.query<{
    name: string
    type: string
    dims: number
    not_null: boolean
    pk_index: number | null
    typmod: number
  }>(
    `SELECT a.attname AS name,
            CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END AS type,
            CASE WHEN t.typcategory = 'A' THEN greatest(a.attndims, 1) ELSE 0 END::int AS dims,
            a.attnotnull AS not_null,
            (SELECT array_position(i.indkey::int2[], a.attnum) - array_lower(i.indkey::int2[], 1)
               FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)::int AS pk_index,
            a.atttypmod::int AS typmod
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON et.oid = t.typelem
      WHERE n.nspname = 'public' AND c.relname = $1 AND c.relkind = 'r'
      ORDER BY a.attnum`,
    [table],
  )
  if (rows.length === 0) return null
  const columns = rows.map((r) => ({
    name: r.name,
    type: r.type,
    dims: r.dims,
    notNull: r.not_null,
    pkIndex: r.pk_index,
    typmod: r.typmod,
  }))
  const pk = columns
    .filter((c) => c.pkIndex !== null)
    .sort((a, b) => a.pkIndex! - b.pkIndex!)
    .map((c) => c.name)
  return { schema: 'public', name: table, columns, pk, byName: new Map(columns.map((c) => [c.name, c])) }
}

/** The `electric-schema` header value for the selected columns. */
export function electricSchema(info: TableInfo, columns: readonly string[]): string {
  const out: Record<string, Record<string, unknown>> = {}
  for (const name of columns) {
    const c = info.byName.get(name)!
    const e: Record<string, unknown> = { type: c.type }
    if (c.dims > 0) e['dims'] = c.dims
    if (c.pkIndex !== null) e['pk_index'] = c.pkIndex
    if (c.notNull) e['not_null'] = true
    if (c.typmod > 0) {
      if (c.type === 'varchar' || c.type === 'bpchar') e['max_length'] = c.typmod - 4
      else if (c.type === 'numeric') {
        e['precision'] = ((c.typmod - 4) >> 16) & 0xffff
        e['scale'] = (c.typmod - 4) & 0xffff
      } else if (c.type.startsWith('time') || c.type === 'interval') e['precision'] = c.typmod
      else e['type_mod'] = c.typmod
    }
    out[name] = e
  }
  return JSON.stringify(out)
}

/** The Electric message key: `"public"."table"/"pk1"/"pk2"` with `/` doubled in values. */
export function rowKey(info: TableInfo, row: Readonly<Record<string, string | null>>): string {
  const parts = info.pk.map((k) => `"${(row[k] ?? '_').replaceAll('/', '//')}"`)
  return `"${info.schema}"."${info.name}"/${parts.join('/')}`
}
