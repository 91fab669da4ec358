import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { whereAllowlistProblem } from './where-allowlist.ts'

const cols = ['id', 'agent_id', 'state', 'title', 'created_at', 'text']

describe('where allowlist for console shapes', () => {
  test('ordinary filters on the table pass', () => {
    for (const w of [
      'state = $1',
      `"state" IN ('bot', 'human') AND title IS NOT NULL`,
      `created_at > now() - interval '1 day'`,
      `lower(title) LIKE '%退款%' OR coalesce(title, '') = ''`,
      `agent_id = ANY($1::uuid[])`,
      `created_at::date = '2024-01-01'::date`,
      `text ILIKE $2 ESCAPE '!'`,
      `state IS DISTINCT FROM 'ended'`,
      `extract(hour from created_at) BETWEEN 9 AND 18`,
      `length(text) > 1e3`,
    ])
      expect(whereAllowlistProblem(w, cols), w).toBeNull()
  })

  test('reaching other tables, catalogs, functions or tricks is refused', () => {
    for (const w of [
      `EXISTS (SELECT 1 FROM users WHERE password_hash LIKE 'scrypt$a%')`,
      `id IN (TABLE users)`,
      `table_to_xml('refresh_tokens', true, true, '') IS NOT NULL`,
      `ts_stat('SELECT 1') IS NULL`,
      `'users'::regclass IS NOT NULL`,
      `cast('refresh_tokens' as regclass) IS NOT NULL`,
      `"pg_sleep"(1) IS NULL`,
      `pg_catalog.now() > created_at`,
      `conversations.state = 'bot'`,
      `E'\\x41' = title`,
      `U&"\\0070g_sleep"(1) IS NULL`,
      `state = 'a' COLLATE "C"`,
      `ｓｅｌｅｃｔ = 1`,
      `state OPERATOR(pg_catalog.=) 'bot'`,
      `repeat(title, 100000000) = ''`,
      `password_hash = ''`,
      `title = $$x$$`,
      `title = '{}' ; DROP TABLE users`,
    ])
      expect(whereAllowlistProblem(w, cols), w).not.toBeNull()
  })

  test('any accepted expression mentions no word outside columns, keywords, types and allowed functions', () => {
    const word = fc.constantFrom(
      'users',
      'select',
      'from',
      'pg_sleep',
      'state',
      'id',
      'table',
      'values',
      'with',
      'lower',
      'secret_hash',
      'refresh_tokens',
      'now',
      'and',
      'regclass',
    )
    const piece = fc.oneof(
      word,
      fc.constantFrom(
        '(',
        ')',
        ',',
        '=',
        ' ',
        "'x'",
        '"state"',
        '"users"',
        '$1',
        '::',
        '.',
        '1',
        ';',
      ),
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const w = parts.join(' ')
        if (whereAllowlistProblem(w, cols) !== null) return true
        return (
          !/\b(users|select|pg_sleep|table|values|secret_hash|refresh_tokens|regclass)\b/i.test(
            w.replace(/'[^']*'/g, ''),
          ) &&
          !w.includes('"users"') &&
          !/(^|[^:]):?\.(?!\d)/.test(w.replace(/'[^']*'/g, ''))
        )
      }),
      { numRuns: 2000 },
    )
  })
})
