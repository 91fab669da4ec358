/**
 * Generators of hostile values for the hostile suite: SQL and shape-syntax injection, Unicode
 * edge cases (lone surrogates, RTL overrides, zero-width marks, NUL), malformed numbers and
 * encodings, oversized strings. Used by hostile-kit.ts; no test runs here.
 */
import fc from 'fast-check'

/** SQL injection aimed at anything that might be spliced into a statement. */
export const SQL_INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE messages; --",
  '1; DELETE FROM conversations',
  "' UNION SELECT password_hash FROM users --",
  '1) OR (1=1',
  '1=1) OR (1=1',
  "') OR ('a'='a",
  '" OR ""="',
  '$$; DROP TABLE users; $$',
  "E'\\x27 OR 1=1'",
  'pg_sleep(10)',
  '(SELECT pg_sleep(10))',
  '1 AND (SELECT count(*) FROM users) > 0',
  "current_setting('kefu.origin')",
  "set_config('kefu.origin','x',false)",
  "x'; COPY users TO '/tmp/x'; --",
  '/* */ OR /* */ 1=1',
  '-- ',
  '\\',
  "\\'",
  '%27%20OR%201%3D1',
  "admin'--",
  '1e308',
  '-1',
  '9223372036854775808',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '{"$gt":""}',
  '__proto__',
  'constructor',
] as const

/**
 * `where` expressions that reach beyond the shape's own table (subqueries, catalog and file
 * functions): a console user must get 400 for every one, or rows become a one-bit oracle.
 */
export const REACHING_WHERES = [
  'id IN (SELECT id FROM conversations)',
  "EXISTS (SELECT 1 FROM users WHERE password_hash LIKE 'scrypt$%')",
  'EXISTS (TABLE refresh_tokens)',
  "table_to_xml('users', true, true, '') IS NOT NULL",
  "query_to_xml('select 1', true, true, '') IS NOT NULL",
  "ts_stat('SELECT password_hash::tsvector FROM users') IS NOT NULL",
  "'users'::regclass IS NOT NULL",
  "lo_import('/etc/passwd') > 0",
  "pg_read_file('/etc/passwd') <> ''",
  '(SELECT pg_sleep(10)) IS NULL',
  '1 = 1 AND (SELECT count(*) FROM users) > 0',
  "current_setting('kefu.origin') IS NULL",
  "to_regclass('public.refresh_tokens') IS NOT NULL",
  '(SELECT max(lsn) FROM sync_tx) > 0',
  "pg_catalog.pg_has_role('postgres', 'member')",
] as const

/** Shape-protocol specific: `where`, `columns`, `table`, `offset`, `handle` syntax abuse. */
export const SHAPE_INJECTIONS = [
  'true',
  '1=1',
  'agent_id IS NOT NULL',
  'agent_id = agent_id',
  ...REACHING_WHERES,
  'state = $1',
  'state = $2',
  'state = $999',
  'state = $1; SELECT 1',
  '"secret_hash" IS NOT NULL',
  'public.conversations.state = 1',
  'id,secret_hash',
  'id,"agent_id",text,"TEXT"',
  '*',
  'id,,state',
  '"id',
  'users',
  'agents',
  'refresh_tokens',
  'auth_families',
  'audit_log',
  'sync_log',
  'public.users',
  'pg_catalog.pg_authid',
  'information_schema.tables',
  '"conversations"',
  '"Conversations"',
  'conversations"; DROP TABLE users; --',
  'public."messages"',
  'other.messages',
  '0_0',
  '0_inf',
  '-2',
  '1_-1',
  '99999999999999999999_0',
  '9223372036854775807_inf',
  '9223372036854775808_inf',
  '18446744073709551615_18446744073709551615',
  '00000000000000000001_00000000000000000001',
  'now_now',
  '-1_inf',
  'abc-123',
  '../../etc/passwd',
] as const

/** Unicode and byte-level edge cases. */
export const UNICODE_EDGES = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\ud83d\ude00',
  '\u202eevil\u202c',
  '\u200b',
  'ad\u200bmin',
  '\u200d\u200c\ufeff',
  '\u2028\u2029',
  'مرحبا بالعالم',
  '\u05d0\u05d1\u05d2',
  'Z\u0351\u0358\u036c\u0310\u0301\u036d\u0346a\u0489\u0353l\u0358\u0353g\u035c\u0357o',
  '\uffff',
  '\ufffd',
  '\u{10ffff}',
  '\u0085',
  '\r\n\r\n',
  '\t',
  '\u001b[31m',
  '客服\u0000退款',
  'é',
  'e\u0301',
  'Ａ',
] as const

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
/** `s` with lone surrogates replaced by U+FFFD (what URL encoding would do anyway). */
export const wellFormed = (s: string): string => s.replace(LONE, '\ufffd')

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n))
const controlChar = fc.integer({ min: 0, max: 0x1f }).map((n) => String.fromCharCode(n))

/** Any hostile string: listed attacks, random text of every kind, mixtures, sometimes huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<string>(...SQL_INJECTIONS, ...SHAPE_INJECTIONS, ...UNICODE_EDGES),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constantFrom<string>(...SQL_INJECTIONS, ...UNICODE_EDGES),
          loneSurrogate,
          controlChar,
          fc.string({ maxLength: 8 }),
        ),
        { minLength: 2, maxLength: 6 },
      )
      .map((xs) => xs.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 3 })
      .map((k) => ['x', "'", '\u0000', '客'][k]!.repeat(5_000 + k * 7_000)),
  },
)

/** Hostile strings short enough for a URL (long ones are tried in bodies, which have room). */
export const nastyShort: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<string>(...SQL_INJECTIONS, ...SHAPE_INJECTIONS, ...UNICODE_EDGES),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constantFrom<string>(...SQL_INJECTIONS, ...UNICODE_EDGES),
          loneSurrogate,
          controlChar,
          fc.string({ maxLength: 8 }),
        ),
        { minLength: 2, maxLength: 6 },
      )
      .map((xs) => xs.join('')),
  },
  {
    weight: 1,
    arbitrary: fc.nat({ max: 2 }).map((k) => ['x', "'", '('][k]!.repeat(1_000 + k * 1_500)),
  },
)

/** Strings that are invalid in every text field: NUL, lone surrogates, or far too long. */
export const poisonString: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('\u0000', '\ud800', '\udc00', 'x\u0000'),
      fc.string({ maxLength: 10 }),
    )
    .map(([a, b, c]) => a + b + c),
  fc.nat({ max: 2 }).map((k) => 'z'.repeat(20_001 + k)),
)

/** A JSON value of the wrong kind for a string field. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  fc.constant({ $gt: '' }),
)

/** Raw query-string fragments that bypass URL encoding (invalid escapes, overlong UTF-8…). */
export const rawQueryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%00',
    '%ED%A0%80',
    '%C0%80',
    '%FF%FE',
    '%',
    '%zz',
    '%E2%80%AE',
    '%F0%9F',
    '%25%30%30',
    'a%00b',
    '%u0000',
    '+%2B+',
    '%2527',
  ),
  nastyString.map((s) => encodeURIComponent(wellFormed(s))),
)

/** Header-safe junk (fetch refuses control characters in headers, so do we). */
export const headerJunk: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
  fc.constantFrom<string>(...SQL_INJECTIONS).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
)
