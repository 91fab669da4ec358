/**
 * Hostile `/v1/shape` requests: every parameter attacked in turn on top of valid queries, as
 * agent A (every row of a 200 must be A's) and as console users (whose `where` is real SQL,
 * held to the shape's own table).
 */
import fc from 'fast-check'
import {
  REACHING_WHERES,
  SQL_INJECTIONS,
  SHAPE_INJECTIONS,
  nastyShort,
  rawQueryValue,
  wellFormed,
} from './hostile-inputs.ts'
import { AGENT_TABLES, enc, type HostileRequest, type HostileWorld } from './hostile-world.ts'

const SHAPE_OK = [200, 400, 409, 414, 431] as const

/**
 * A shape query string: a valid base (snapshot, catch-up, live, offset=now) with zero to three
 * parameters replaced by hostile values, so each parameter is attacked while the rest are sound
 * and unmutated requests exercise the leak check with real rows.
 */
function shapeQuery(w: HostileWorld): fc.Arbitrary<string> {
  return fc.constantFrom(...AGENT_TABLES).chain((table) => {
    const mine = w.a.handles[table]
    const theirs = w.b.handles[table]
    const lsn = BigInt(mine.offset.split('_')[0]!)
    const base = fc.constantFrom<Record<string, string>>(
      { table, offset: '-1' },
      { table, offset: mine.offset, handle: mine.handle },
      { table, offset: mine.offset, handle: mine.handle, live: 'true', cursor: '0' },
      { table, offset: 'now' },
      { table, offset: '-1', replica: 'full', log: 'full' },
      { table, offset: '-1', columns: 'id' },
      { table, offset: theirs.offset, handle: theirs.handle },
    )
    const targeted: Record<string, fc.Arbitrary<string>> = {
      table: fc.constantFrom<string>(
        'users',
        'agents',
        'refresh_tokens',
        'audit_log',
        'auth_families',
        'sync_log',
        'public.users',
        'public.conversations',
        '"conversations"',
        'CONVERSATIONS',
        'conversations"; DROP TABLE users; --',
        'pg_catalog.pg_authid',
      ),
      offset: fc.constantFrom(
        `${lsn + 1000n}_inf`,
        `${lsn}_0`,
        `${lsn + 1n}_0`,
        theirs.offset,
        '0_0',
        '-2',
        '1_-1',
        '99999999999999999999_0',
        '9223372036854775807_inf',
        '9223372036854775808_inf',
        'now_now',
        '-1_inf',
      ),
      handle: fc.constantFrom(
        theirs.handle,
        `${mine.handle}x`,
        mine.handle.split('-')[0]!,
        '-',
        'x'.repeat(5000),
      ),
      live: fc.constantFrom('true', 'TRUE', '1', 'yes', ''),
      where: fc.constantFrom<string>(
        ...SHAPE_INJECTIONS,
        ...SQL_INJECTIONS,
        `agent_id = '${w.b.id}'`,
        `id = '${w.b.conv}'`,
        `true OR agent_id = '${w.b.id}'`,
        '('.repeat(4001),
      ),
      columns: fc.constantFrom(
        'id,secret_hash',
        'id,agent_id,text',
        'id,spend',
        'id,"Id"',
        '*',
        'id,password_hash',
        'agent_id',
        'id,id,id',
        '"id","agent_id"',
      ),
      cursor: fc.constantFrom('-1', '1e309', 'NaN', '99999999999999999999999', '0x10', ''),
      replica: fc.constantFrom('full', 'FULL', 'none', ''),
      log: fc.constantFrom('changes_only', 'all', ''),
    }
    const param = fc.oneof(
      fc.constantFrom(...Object.keys(targeted)),
      fc.nat({ max: 1001 }).map((n) => `params[${n}]`),
      fc.constantFrom(
        'params[x]',
        'params[1][2]',
        'params',
        'live_sse',
        'experimental_live_sse',
        'subset__where',
        'handle[]',
        'table[]',
      ),
      nastyShort,
    )
    const mutation = param.chain((k) =>
      fc.tuple(
        fc.constant(k),
        fc.oneof(
          {
            weight: 3,
            arbitrary: (Object.hasOwn(targeted, k) ? targeted[k]! : nastyShort).map(enc),
          },
          { weight: 2, arbitrary: nastyShort.map(enc) },
          { weight: 1, arbitrary: rawQueryValue },
        ),
      ),
    )
    return fc
      .tuple(base, fc.array(mutation, { maxLength: 3 }), fc.boolean())
      .map(([b, muts, duplicate]) => {
        const pairs: [string, string][] = Object.entries(b).map(([k, v]) => [enc(k), enc(v)])
        for (const [k, v] of muts) {
          const at = pairs.findIndex(([x]) => x === enc(k))
          // Sometimes replace, sometimes append a second value for the same key.
          if (at >= 0 && !duplicate) pairs[at] = [enc(k), v]
          else pairs.push([enc(k), v])
        }
        return `/v1/shape?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`
      })
  })
}

const REACHING = new Set<string>(REACHING_WHERES)

/** Whether the `where` the server will read (the first one) reaches beyond the shape's table. */
function reachesOut(path: string): boolean {
  const where = new URLSearchParams(path.slice(path.indexOf('?') + 1)).get('where')
  return where !== null && REACHING.has(where)
}

export function shapeAsA(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  return fc.tuple(shapeQuery(w), fc.boolean()).map(([path, shared]) => ({
    category: 'shape as agent',
    method: 'GET',
    path,
    headers: shared ? w.c.agentHeaders(w.a.id) : w.a.headers,
    allowed: SHAPE_OK,
    asA: true,
    watch: 'all',
  }))
}

/** A console user's snapshot with an attacking `where` (real SQL for users, so the main target). */
function whereAttack(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...AGENT_TABLES),
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom<string>(...REACHING_WHERES) },
        { weight: 2, arbitrary: fc.constantFrom<string>(...SHAPE_INJECTIONS, ...SQL_INJECTIONS) },
        { weight: 2, arbitrary: nastyShort },
      ),
      fc.array(fc.tuple(fc.nat({ max: 3 }), nastyShort), { maxLength: 2 }),
    )
    .map(([table, where, params]) => {
      const q = new URLSearchParams({ table, offset: '-1', where: wellFormed(where) })
      for (const [n, v] of params) q.append(`params[${n}]`, wellFormed(v))
      return `/v1/shape?${q.toString()}`
    })
}

export function shapeAsUser(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  return fc.tuple(fc.oneof(shapeQuery(w), whereAttack()), fc.nat({ max: 9 })).map(([path, n]) => ({
    category: 'shape as console user',
    method: 'GET',
    path,
    headers: n === 0 ? w.analyst : w.supervisor,
    // A where reaching other tables must be refused outright, not answered (an oracle).
    allowed: n === 0 ? [403, 400, 414, 431] : reachesOut(path) ? [400] : SHAPE_OK,
    watch: 'secrets',
  }))
}
