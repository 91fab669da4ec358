/**
 * The hostile suite, shared by the PGlite and the Postgres run: builds the world
 * (hostile-world.ts), sends every category of generated bad request (hostile-*-requests.ts) and
 * checks each response — no 5xx, no status outside what the category allows, no row or secret
 * the caller may not see — and, after the run, that no table was written.
 */
import fc from 'fast-check'
import type { TestCloud } from '../testing/test-cloud.ts'
import { changes, replays } from './hostile-change-requests.ts'
import { admin, auth, badCredentials, paths, rawBodies } from './hostile-rest-requests.ts'
import { shapeAsA, shapeAsUser } from './hostile-shape-requests.ts'
import type { HostileRequest, HostileWorld } from './hostile-world.ts'

export interface HostileReport {
  inputs: number
  byStatus: Record<string, number>
  byCategory: Record<string, number>
  serverErrors: number
  leaks: number
  failures: string[]
}

/** Every table's row count and content checksum. */
export async function tableState(c: TestCloud): Promise<Record<string, string>> {
  const tables = await c.db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  )
  const out: Record<string, string> = {}
  for (const { t } of tables) {
    const r = await c.db.query<{ n: number; h: string }>(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM public."${t}" x`,
    )
    out[t] = `${r[0]!.n}:${r[0]!.h}`
  }
  return out
}

/**
 * The tables the run changed, compared with `before`. Two are judged apart: `audit_log` may only
 * have gained failed authentication events (the record of the attack itself), and `sync_shapes`
 * (the shape-handle registry, not data) may have gained handles for the column sets asked for.
 */
export async function checkNoWrites(
  c: TestCloud,
  before: Record<string, string>,
  auditFromId: string,
): Promise<string[]> {
  const after = await tableState(c)
  const changed = Object.keys({ ...before, ...after }).filter(
    (t) => before[t] !== after[t] && t !== 'audit_log' && t !== 'sync_shapes',
  )
  const audit = await c.db.query<{ action: string; ok: boolean }>(
    `SELECT action, ok FROM audit_log WHERE id > $1::bigint AND NOT (starts_with(action, 'auth.') AND ok = false)`,
    [auditFromId],
  )
  if (audit.length > 0)
    changed.push(`audit_log (${audit.map((a) => `${a.action}:${a.ok}`).join(', ')})`)
  return changed
}

/** How many failed-authentication entries the run added to the audit log. */
export async function auditEntriesSince(c: TestCloud, fromId: string): Promise<number> {
  return (
    await c.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE id > $1::bigint`,
      [fromId],
    )
  )[0]!.n
}

function leakIn(w: HostileWorld, req: HostileRequest, status: number, text: string): string | null {
  for (const m of req.watch === 'all' ? w.markers : w.secretMarkers)
    if (text.includes(m)) return `response contains ${m.slice(0, 12)}…`
  if (!req.asA || status !== 200) return null
  const msgs = JSON.parse(text) as { key?: string; value?: Record<string, unknown> }[]
  for (const m of msgs) {
    if (!m.value) continue
    const id = m.value['id']
    if (typeof id === 'string' && !w.visibleToA.has(id)) return `row ${id} is not A's to see`
    const owner = m.value['agent_id']
    if (owner !== undefined && owner !== w.a.id) return `row of agent ${String(owner)}`
  }
  return null
}

/** Sends one request and checks the per-response invariants. */
async function run(w: HostileWorld, req: HostileRequest, report: HostileReport): Promise<boolean> {
  let status: number
  let text: string
  try {
    const r = await fetch(`${w.c.url}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined && req.method !== 'GET'
        ? { body: typeof req.body === 'string' ? req.body : new Uint8Array(req.body) }
        : {}),
      signal: AbortSignal.timeout(15_000),
    })
    status = r.status
    text = await r.text()
  } catch (err) {
    report.failures.push(
      `${req.category}: ${req.method} ${req.path.slice(0, 200)} → no response (${(err as Error).message})`,
    )
    return false
  }
  report.inputs++
  report.byStatus[status] = (report.byStatus[status] ?? 0) + 1
  report.byCategory[req.category] = (report.byCategory[req.category] ?? 0) + 1
  const what = `${req.category}: ${req.method} ${req.path.slice(0, 300)} ${typeof req.body === 'string' ? req.body.slice(0, 300) : ''}`
  if (status >= 500) {
    report.serverErrors++
    report.failures.push(`${what} → ${status} ${text.slice(0, 300)}`)
    return false
  }
  const leak = leakIn(w, req, status, text)
  if (leak) {
    report.leaks++
    report.failures.push(`${what} → LEAK: ${leak}`)
    return false
  }
  if (!req.allowed.includes(status)) {
    report.failures.push(`${what} → unexpected ${status} ${text.slice(0, 300)}`)
    return false
  }
  if (req.replay) {
    const results = (JSON.parse(text) as { results: { status: string }[] }).results
    if (!results.every((x) => x.status === 'duplicate')) {
      report.failures.push(`${what} → a replay was applied again`)
      return false
    }
  }
  return true
}

export interface HostileRunOptions {
  seed: number
  /** Generated inputs per category. */
  runs?: Partial<
    Record<
      | 'shapeAsA'
      | 'shapeAsUser'
      | 'changes'
      | 'rawBodies'
      | 'replays'
      | 'auth'
      | 'admin'
      | 'badCredentials'
      | 'paths',
      number
    >
  >
}

export const defaultRuns = {
  shapeAsA: 400,
  shapeAsUser: 250,
  changes: 300,
  rawBodies: 120,
  replays: 15,
  auth: 120,
  admin: 150,
  badCredentials: 120,
  paths: 40,
} as const

/** Runs every category in turn; stops at the first failing input (recorded in `failures`). */
export async function runHostileSuite(
  w: HostileWorld,
  o: HostileRunOptions,
): Promise<HostileReport> {
  const report: HostileReport = {
    inputs: 0,
    byStatus: {},
    byCategory: {},
    serverErrors: 0,
    leaks: 0,
    failures: [],
  }
  const runs = { ...defaultRuns, ...o.runs }
  const categories: [keyof typeof defaultRuns, fc.Arbitrary<HostileRequest>][] = [
    ['shapeAsA', shapeAsA(w)],
    ['shapeAsUser', shapeAsUser(w)],
    ['changes', changes(w)],
    ['rawBodies', rawBodies(w)],
    ['replays', replays(w)],
    ['auth', auth(w)],
    ['admin', admin(w)],
    ['badCredentials', badCredentials(w)],
    ['paths', paths(w)],
  ]
  for (const [name, arb] of categories) {
    const r = await fc.check(
      fc.asyncProperty(arb, (req) => run(w, req, report)),
      { numRuns: runs[name], seed: o.seed, endOnFailure: true },
    )
    // The failing input is already in `failures`, with the response; stop at the first one.
    if (r.failed) {
      report.failures.push(
        `${name}: failed after ${r.numRuns} inputs (seed ${o.seed}, path ${r.counterexamplePath ?? '?'})`,
      )
      break
    }
  }
  return report
}

/** The report as lines for the test log. */
export function formatReport(
  engine: string,
  r: HostileReport,
  writes: string[],
  auditEntries: number,
): string {
  const statuses = Object.entries(r.byStatus)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s}×${n}`)
    .join('  ')
  const cats = Object.entries(r.byCategory)
    .map(([k, n]) => `    ${k.padEnd(38)} ${n}`)
    .join('\n')
  return [
    `hostile suite on ${engine}: ${r.inputs} generated bad inputs`,
    `  responses by status: ${statuses}`,
    `  5xx: ${r.serverErrors}   leaked rows: ${r.leaks}   tables written: ${writes.length === 0 ? 0 : writes.join(', ')}`,
    `  audit log: +${auditEntries} failed-authentication entries (the attempts themselves)`,
    `  by category:`,
    cats,
  ].join('\n')
}
