/**
 * The world the hostile suite attacks: agent A (the attacker) and agent B (the victim), each
 * with rows, handles and tokens; console users of every role; unpublished FAQ and draft rules;
 * forged tokens; and markers planted in rows and secrets that must never reach the wrong caller.
 */
import { SignJWT, UnsecuredJWT } from 'jose'
import { newId, type Change, type Role } from '@kefu/schema'
import { JWT_SECRET, type TestCloud } from '../testing/test-cloud.ts'
import { nastyString, wellFormed } from './hostile-inputs.ts'

export const AGENT_TABLES = [
  'conversations',
  'messages',
  'replies',
  'customers',
  'faq',
  'rules',
] as const
type AgentTable = (typeof AGENT_TABLES)[number]

export interface Seat {
  id: string
  secret: string
  headers: Record<string, string>
  conv: string
  msgs: string[]
  reply: string
  customer: string
  seedBatch: Change[]
  handles: Record<AgentTable, { handle: string; offset: string }>
}

export interface HostileWorld {
  c: TestCloud
  a: Seat
  b: Seat
  admin: Record<string, string>
  supervisor: Record<string, string>
  analyst: Record<string, string>
  /** Ids A may receive: its own rows and the published FAQ and rules. */
  visibleToA: Set<string>
  /** Text planted in rows A must never receive (B's rows, drafts) and in secret tables. */
  markers: string[]
  /** Markers no caller but the database may ever see: hashes, secrets, usernames. */
  secretMarkers: string[]
  usernames: string[]
  badTokens: string[]
}

export interface HostileRequest {
  category: string
  method: string
  path: string
  headers: Record<string, string>
  body?: string | Uint8Array
  /** Statuses this request may get; anything else fails the run. */
  allowed: readonly number[]
  /** A's shape request: every row of a 200 must be A's to see. */
  asA?: boolean
  /**
   * Which planted markers the response must not contain: `all` for A and anonymous callers,
   * `secrets` (hashes, credentials, usernames) for console users, who may see B's rows.
   */
  watch: 'all' | 'secrets'
  /** Expected body check for replays. */
  replay?: boolean
}

export const enc = (s: string): string => encodeURIComponent(wellFormed(s))
/** Strings a text column accepts (nasty, but legal): no NUL, no lone surrogate, bounded. */
export const legal = (max: number) =>
  nastyString
    .map((s) => wellFormed(s).replaceAll('\u0000', '').slice(0, max))
    .filter((s) => s.trim().length > 0)

async function postJson(
  c: TestCloud,
  path: string,
  body: unknown,
  headers: Record<string, string>,
) {
  return fetch(`${c.url}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function catchUp(
  c: TestCloud,
  table: string,
  headers: Record<string, string>,
): Promise<{ handle: string; offset: string }> {
  let r = await fetch(`${c.url}/v1/shape?table=${table}&offset=-1`, { headers })
  if (r.status !== 200) throw new Error(`snapshot of ${table}: ${r.status}`)
  for (;;) {
    const handle = r.headers.get('electric-handle')!
    const offset = r.headers.get('electric-offset')!
    const body = (await r.json()) as { headers?: { control?: string } }[]
    if (body.at(-1)?.headers?.control === 'up-to-date') return { handle, offset }
    r = await fetch(`${c.url}/v1/shape?table=${table}&offset=${offset}&handle=${handle}`, {
      headers,
    })
  }
}

async function seat(c: TestCloud, name: string, marker: string): Promise<Seat> {
  const a = await c.createAgentWithSecret(name)
  const t = await c.loginAgent(a.id, a.secret)
  const headers = c.bearer(t.access_token)
  const [conv, m1, m2, reply, customer] = [newId(), newId(), newId(), newId(), newId()]
  const now = new Date().toISOString()
  const msg = (id: string, n: number): Change => ({
    id: newId(),
    kind: 'insert_message',
    row: {
      id,
      conversation_id: conv,
      agent_id: a.id,
      direction: 'in',
      sender: `${name}-sender`,
      text: `${marker} message ${n}`,
      kind: 'text',
      mentioned: false,
      captured_at: now,
      dedup_key: `dedup-${name}-${n}-${marker}`,
      origin: 'agent',
      answered_by: null,
    },
  })
  const seedBatch: Change[] = [
    {
      id: newId(),
      kind: 'insert_customer',
      row: { id: customer, agent_id: a.id, display_name: `${marker} customer` },
    },
    {
      id: newId(),
      kind: 'insert_conversation',
      row: {
        id: conv,
        agent_id: a.id,
        chat_key: `${marker}-chat`,
        kind: 'direct',
        title: `${marker} title`,
        customer_id: customer,
      },
    },
    msg(m1, 1),
    msg(m2, 2),
    {
      id: newId(),
      kind: 'insert_reply',
      row: {
        id: reply,
        conversation_id: conv,
        agent_id: a.id,
        message_ids: [m1, m2],
        text: `${marker} reply`,
        origin: 'local',
        confidence: 0.9,
        sources: [],
        status: 'queued',
        sent_at: null,
      },
    },
  ]
  const r = await postJson(c, '/api/v1/changes', { changes: seedBatch }, headers)
  if (r.status !== 200) throw new Error(`seeding ${name}: ${r.status} ${await r.text()}`)
  const handles = {} as Seat['handles']
  for (const table of AGENT_TABLES) handles[table] = await catchUp(c, table, headers)
  return {
    id: a.id,
    secret: a.secret,
    headers,
    conv,
    msgs: [m1, m2],
    reply,
    customer,
    seedBatch,
    handles,
  }
}

async function forgedTokens(a: Seat): Promise<string[]> {
  const key = new TextEncoder().encode(JWT_SECRET)
  const now = Math.floor(Date.now() / 1000)
  const sign = (
    claims: Record<string, unknown>,
    o: { key?: Uint8Array; iat?: number; exp?: number; typ?: string } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: o.typ ?? 'at+jwt' })
      .setIssuer('kefu')
      .setAudience('kefu')
      .setJti(newId())
      .setIssuedAt(o.iat ?? now)
      .setExpirationTime(o.exp ?? now + 600)
      .sign(o.key ?? key)
  const real = a.headers['authorization']!.slice(7)
  const [h, p, s] = real.split('.') as [string, string, string]
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
  const claims = { sub: a.id, knd: 'agent', fam: payload['fam'] }
  return [
    await sign(claims, { iat: now - 2000, exp: now - 1000 }),
    await sign(claims, {
      key: new TextEncoder().encode('a-completely-different-key-of-40-chars!!'),
    }),
    await sign({ ...claims, knd: 'user', role: 'admin' }),
    await sign({ ...claims, knd: 'user' }),
    await sign({ ...claims, fam: newId() }),
    await sign({ ...claims, sub: newId() }),
    await sign(claims, { typ: 'JWT' }),
    await sign(claims, { exp: now + 86_400 }),
    new UnsecuredJWT({
      ...claims,
      iss: 'kefu',
      aud: 'kefu',
      iat: now,
      exp: now + 600,
      jti: newId(),
    }).encode(),
    `${h}.${Buffer.from(JSON.stringify({ ...payload, knd: 'user', role: 'admin' })).toString('base64url')}.${s}`,
    `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`,
    `${h}.${p}.`,
    `${h}..${s}`,
    real.split('').reverse().join(''),
    `Bearer ${real}`,
  ]
}

/** Builds the world: agents A and B with rows, users of every role, drafts and secrets. */
export async function createHostileWorld(c: TestCloud): Promise<HostileWorld> {
  const hex = () => newId().replaceAll('-', '')
  const markerB = `MARKB${hex()}`
  const markerDraft = `MARKDRAFT${hex()}`
  const usernames: string[] = []
  const user = async (role: Role) => {
    const u = await c.createUser(role, `mk${hex()}`)
    usernames.push(u.username)
    return c.bearer((await c.loginUser(u.username, u.password)).access_token)
  }
  const admin = await user('admin')
  const supervisor = await user('supervisor')
  const analyst = await user('analyst')
  const faq = [newId(), newId()]
  const rules = [newId(), newId()]
  await c.db.query(
    `INSERT INTO faq (id, question, answer, published) VALUES ($1::uuid, 'q?', 'a.', true), ($2::uuid, $3, $3, false)`,
    [faq[0], faq[1], markerDraft],
  )
  await c.db.query(
    `INSERT INTO rules (id, version, status, body) VALUES ($1::uuid, 1, 'published', '{}'::jsonb), ($2::uuid, 2, 'draft', $3::text::jsonb)`,
    [rules[0], rules[1], JSON.stringify({ note: markerDraft })],
  )
  const a = await seat(c, 'attacker', `MARKA${hex()}`)
  const b = await seat(c, 'victim', markerB)
  // Stored hashes (their digests, and the prefix with parameters) must never come back.
  const hashes = await c.db.query<{ h: string }>(
    `SELECT password_hash AS h FROM users UNION ALL SELECT secret_hash FROM agents WHERE secret_hash IS NOT NULL`,
  )
  const hashMarkers = ['scrypt$10$8$1$', ...hashes.map((x) => x.h.slice(-24))]
  return {
    c,
    a,
    b,
    admin,
    supervisor,
    analyst,
    visibleToA: new Set([a.id, a.conv, ...a.msgs, a.reply, a.customer, faq[0]!, rules[0]!]),
    markers: [markerB, markerDraft, b.id, b.secret, ...hashMarkers, ...usernames],
    secretMarkers: [a.secret, b.secret, ...hashMarkers, ...usernames],
    usernames,
    badTokens: await forgedTokens(a),
  }
}
