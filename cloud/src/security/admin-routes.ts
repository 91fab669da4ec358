/**
 * `/api/v1/admin/*`: console users, agents and the audit log. Admins only (the guard checks);
 * every change is written together with its audit entry in one transaction.
 */
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { isUuid, newId, Role } from '@kefu/schema'
import type { AuthEnv, Principal } from '../http/auth.ts'
import { badRequest, conflict, notFound, readJson, validate } from '../http/errors.ts'
import { AuditAction, AuditQuery, queryAudit, type AuditEvent } from './audit-log.ts'
import { normaliseUsername } from './auth-routes.ts'
import { generateSecret } from './password-hash.ts'
import type { Security } from './security.ts'

/** Letters and digits of any script plus `._@-`, 3–64 long: no spaces, controls or invisible marks. */
const USERNAME = /^[\p{L}\p{N}][\p{L}\p{N}._@-]{2,63}$/u

const CreateUser = z.strictObject({
  username: z
    .string()
    .max(64)
    .transform(normaliseUsername)
    .refine(
      (u) => USERNAME.test(u),
      'must be 3–64 letters, digits or ._@- and start with a letter or digit',
    ),
  password: z.string().min(12, 'must be at least 12 characters').max(1024),
  role: z.enum(Role),
})

const displayText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'may not contain control characters')

const CreateAgent = z.strictObject({
  name: displayText(200),
  wechat_account: displayText(200).nullable().optional(),
})

function actorOf(p: Principal): Pick<AuditEvent, 'actor' | 'actorKind'> {
  return p.kind === 'user'
    ? { actor: p.userId, actorKind: 'user' }
    : { actor: p.agentId, actorKind: 'agent' }
}

function idParam(c: Context<AuthEnv>): string {
  const id = c.req.param('id') ?? ''
  if (!isUuid(id)) throw badRequest('id: must be a UUID', 'id')
  return id.toLowerCase()
}

/** The query string as single values; a repeated parameter is refused rather than guessed at. */
function singleQuery(c: Context<AuthEnv>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, vs] of Object.entries(c.req.queries())) {
    if (vs.length !== 1) throw badRequest(`${k}: may be given once`, k)
    out[k] = vs[0]!
  }
  return out
}

export function adminRoutes(sec: Security): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const { db } = sec

  app.post('/users', async (c) => {
    const body = validate(CreateUser, await readJson(c.req.raw))
    const hash = await sec.hasher.hash(body.password)
    const id = newId()
    const created = await db.transaction(async (tx) => {
      const r = await tx.query<{ created_at: string }>(
        `INSERT INTO users (id, username, password_hash, role) VALUES ($1::uuid, $2, $3, $4)
         ON CONFLICT (username) DO NOTHING RETURNING created_at::text AS created_at`,
        [id, body.username, hash, body.role],
      )
      if (!r[0]) return null
      await sec.audit(
        c,
        {
          ...actorOf(c.var.principal),
          action: AuditAction.userCreate,
          target: id,
          ok: true,
          detail: { role: body.role },
        },
        tx,
      )
      return r[0]
    })
    if (!created) throw conflict(`username ${body.username} is taken`)
    return c.json(
      { id, username: body.username, role: body.role, created_at: created.created_at },
      201,
    )
  })

  app.post('/users/:id/disable', async (c) => {
    const id = idParam(c)
    const me = c.var.principal
    if (me.kind === 'user' && me.userId === id) throw conflict('you cannot disable yourself')
    const families = await db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE users SET disabled = true WHERE id = $1::uuid RETURNING id`,
        [id],
      )
      if (!r[0]) return null
      const fams = await sec.tokens.revokeSubject('user', id, 'user disabled', tx)
      await sec.audit(
        c,
        {
          ...actorOf(me),
          action: AuditAction.userDisable,
          target: id,
          ok: true,
          detail: { revoked_families: fams.length },
        },
        tx,
      )
      return fams
    })
    if (!families) throw notFound('no such user')
    sec.cut([`user:${id}`, ...families.map((f) => `family:${f}` as const)])
    return c.json({ id, disabled: true })
  })

  app.post('/agents', async (c) => {
    const body = validate(CreateAgent, await readJson(c.req.raw))
    const secret = generateSecret('kas')
    const hash = await sec.hasher.hash(secret)
    const id = newId()
    await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO agents (id, name, wechat_account, secret_hash) VALUES ($1::uuid, $2, $3, $4)`,
        [id, body.name, body.wechat_account ?? null, hash],
      )
      await sec.audit(
        c,
        { ...actorOf(c.var.principal), action: AuditAction.agentCreate, target: id, ok: true },
        tx,
      )
    })
    // The secret is shown this once; only its hash is kept.
    return c.json({ id, name: body.name, wechat_account: body.wechat_account ?? null, secret }, 201)
  })

  /**
   * Changes an agent row and revokes every login it holds, audited, in one transaction;
   * null when there is no such agent.
   */
  const changeAgentAndRevoke = (
    c: Context<AuthEnv>,
    id: string,
    change: { sql: string; params: unknown[] },
    reason: string,
    action: (typeof AuditAction)[keyof typeof AuditAction],
  ): Promise<string[] | null> =>
    db.transaction(async (tx) => {
      const r = await tx.query(change.sql, [id, ...change.params])
      if (!r[0]) return null
      const fams = await sec.tokens.revokeSubject('agent', id, reason, tx)
      await sec.audit(
        c,
        { ...actorOf(c.var.principal), action, target: id, ok: true, detail: { revoked_families: fams.length } },
        tx,
      )
      return fams
    })

  app.post('/agents/:id/disable', async (c) => {
    const id = idParam(c)
    const families = await changeAgentAndRevoke(
      c,
      id,
      { sql: `UPDATE agents SET disabled = true, disabled_at = coalesce(disabled_at, now()) WHERE id = $1::uuid RETURNING id`, params: [] },
      'agent disabled',
      AuditAction.agentDisable,
    )
    if (!families) throw notFound('no such agent')
    // Its live shape requests on this instance end now; other instances within the status TTL.
    sec.cut([`agent:${id}`, ...families.map((f) => `family:${f}` as const)])
    return c.json({ id, disabled: true })
  })

  app.post('/agents/:id/enable', async (c) => {
    const id = idParam(c)
    const ok = await db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE agents SET disabled = false, disabled_at = NULL WHERE id = $1::uuid RETURNING id`,
        [id],
      )
      if (!r[0]) return false
      await sec.audit(
        c,
        { ...actorOf(c.var.principal), action: AuditAction.agentEnable, target: id, ok: true },
        tx,
      )
      return true
    })
    if (!ok) throw notFound('no such agent')
    sec.cut([`agent:${id}`])
    return c.json({ id, disabled: false })
  })

  app.post('/agents/:id/secret', async (c) => {
    const id = idParam(c)
    const secret = generateSecret('kas')
    const hash = await sec.hasher.hash(secret)
    const families = await changeAgentAndRevoke(
      c,
      id,
      { sql: `UPDATE agents SET secret_hash = $2 WHERE id = $1::uuid RETURNING id`, params: [hash] },
      'secret rotated',
      AuditAction.agentRotateSecret,
    )
    if (!families) throw notFound('no such agent')
    sec.cut(families.map((f) => `family:${f}` as const))
    return c.json({ id, secret })
  })

  app.get('/audit', async (c) => {
    const q = validate(AuditQuery, singleQuery(c))
    return c.json(await queryAudit(db, q))
  })

  return app
}
