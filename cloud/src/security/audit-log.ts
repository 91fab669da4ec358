/**
 * The audit log: admin actions and authentication events — who, what, when, from where — in
 * the `audit_log` table, queryable by admins. Details hold ids and reasons, never a secret,
 * a password or customer text.
 */
import { z } from 'zod'
import type { Queryable } from '@kefu/migrations'

export const ActorKind = ['user', 'agent', 'system', 'anonymous'] as const
export type ActorKind = (typeof ActorKind)[number]

/** The actions written today; `auth.*` are authentication events, `admin.*` admin acts. */
export const AuditAction = {
  agentLogin: 'auth.agent_login',
  userLogin: 'auth.user_login',
  refresh: 'auth.refresh',
  refreshReuse: 'auth.refresh_reuse',
  logout: 'auth.logout',
  userCreate: 'admin.user.create',
  userDisable: 'admin.user.disable',
  agentCreate: 'admin.agent.create',
  agentDisable: 'admin.agent.disable',
  agentEnable: 'admin.agent.enable',
  agentRotateSecret: 'admin.agent.rotate_secret',
} as const
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction]

export interface AuditEvent {
  actor: string | null
  actorKind: ActorKind
  action: AuditAction
  target?: string | null
  ip: string | null
  ok: boolean
  detail?: Record<string, string | number | boolean | null>
}

export interface AuditEntry {
  id: string
  at: string
  actor: string | null
  actor_kind: ActorKind
  action: string
  target: string | null
  ip: string | null
  ok: boolean
  detail: Record<string, unknown>
}

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'may not contain NUL characters')

// Year 0000 passes the ISO pattern but not Postgres; refuse it here rather than as a 500 there.
const timestamp = z.iso
  .datetime({ offset: true })
  .refine((s) => !s.startsWith('0000'), 'must be a date from year 0001 on')

/** The filters of `GET /api/v1/admin/audit`; every one optional, unknown ones refused. */
export const AuditQuery = z.strictObject({
  actor: text(200).optional(),
  actor_kind: z.enum(ActorKind).optional(),
  action: text(100).optional(),
  /** Actions starting with this, e.g. `auth.` or `admin.agent.`. */
  action_prefix: text(100).optional(),
  target: text(200).optional(),
  ip: text(64).optional(),
  ok: z.enum(['true', 'false']).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  /** Page size, 1–500; default 100. */
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 500')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, 'must be a whole number from 1 to 500')
    .optional(),
  /** `next_cursor` of the previous page: entries older than it. */
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the next_cursor of a previous page')
    .optional(),
})
export type AuditQuery = z.infer<typeof AuditQuery>

export interface AuditPage {
  entries: AuditEntry[]
  next_cursor: string | null
}

/** Appends one event (in the caller's transaction when given one). */
export async function recordAudit(db: Queryable, e: AuditEvent): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor, actor_kind, action, target, ip, ok, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)`,
    [e.actor, e.actorKind, e.action, e.target ?? null, e.ip, e.ok, JSON.stringify(e.detail ?? {})],
  )
}

/** One page of the log, newest first, with a keyset cursor for the next page. */
export async function queryAudit(db: Queryable, q: AuditQuery): Promise<AuditPage> {
  const where: string[] = []
  const params: unknown[] = []
  const add = (sql: string, v: unknown) => {
    params.push(v)
    where.push(sql.replace('?', `$${params.length}`))
  }
  if (q.actor !== undefined) add('actor = ?', q.actor)
  if (q.actor_kind !== undefined) add('actor_kind = ?', q.actor_kind)
  if (q.action !== undefined) add('action = ?', q.action)
  if (q.action_prefix !== undefined) add(`starts_with(action, ?)`, q.action_prefix)
  if (q.target !== undefined) add('target = ?', q.target)
  if (q.ip !== undefined) add('ip = ?', q.ip)
  if (q.ok !== undefined) add('ok = ?', q.ok === 'true')
  if (q.since !== undefined) add('at >= ?::timestamptz', q.since)
  if (q.until !== undefined) add('at < ?::timestamptz', q.until)
  if (q.cursor !== undefined) add('id < ?::bigint', q.cursor)
  const limit = q.limit ?? 100
  const rows = await db.query<AuditEntry>(
    `SELECT id::text AS id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
            actor, actor_kind, action, target, ip, ok, detail
       FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY audit_log.id DESC LIMIT ${limit + 1}`,
    params,
  )
  const more = rows.length > limit
  const entries = more ? rows.slice(0, limit) : rows
  return { entries, next_cursor: more ? entries.at(-1)!.id : null }
}
