/**
 * `/api/v1/auth/*`: agent and user login, refresh-token rotation, logout. Every attempt, good
 * or bad, lands in the audit log; secrets and passwords never do.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import { ROLE_PERMISSIONS, type Role } from '@kefu/schema'
import type { AuthEnv } from '../http/auth.ts'
import { forbidden, rateLimited, readJson, unauthorized, validate } from '../http/errors.ts'
import { AuditAction } from './audit-log.ts'
import type { Security } from './security.ts'
import type { Subject } from './token-service.ts'

const AgentLogin = z.strictObject({
  agent_id: z.uuid(),
  secret: z.string().min(1).max(1024),
})

const UserLogin = z.strictObject({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
})

const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) })

/** How usernames are compared: NFC, lower case (also used when creating users). */
export const normaliseUsername = (u: string): string => u.normalize('NFC').toLowerCase()

function limitAccount(sec: Security, account: string): void {
  const d = sec.limits.login.take(`account:${account}`)
  if (!d.ok) throw rateLimited(d.retryAfterS, 'too many attempts for this account')
}

export function authRoutes(sec: Security): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const { db } = sec

  app.post('/login', async (c) => {
    const body = validate(AgentLogin, await readJson(c.req.raw))
    const agentId = body.agent_id.toLowerCase()
    limitAccount(sec, `agent:${agentId}`)
    const rows = await db.query<{ secret_hash: string | null; disabled: boolean }>(
      `SELECT secret_hash, disabled FROM agents WHERE id = $1::uuid`,
      [agentId],
    )
    const row = rows[0]
    const fail = async (reason: string) =>
      sec.audit(c, {
        actor: agentId,
        actorKind: 'agent',
        action: AuditAction.agentLogin,
        ok: false,
        detail: { reason },
      })
    if (!(await sec.hasher.verify(body.secret, row?.secret_hash ?? null))) {
      await fail(row ? 'wrong secret' : 'no such agent')
      throw unauthorized('agent id or secret is wrong')
    }
    if (row!.disabled) {
      await fail('agent disabled')
      throw forbidden('this agent is disabled')
    }
    const subject: Subject = { kind: 'agent', id: agentId }
    const issued = await db.transaction(async (tx) => {
      const r = await sec.tokens.issue(subject, tx)
      await sec.audit(
        c,
        {
          actor: agentId,
          actorKind: 'agent',
          action: AuditAction.agentLogin,
          ok: true,
          detail: { family: r.familyId },
        },
        tx,
      )
      return r
    })
    return c.json({ ...issued.tokens, agent_id: agentId })
  })

  app.post('/user-login', async (c) => {
    const body = validate(UserLogin, await readJson(c.req.raw))
    const username = normaliseUsername(body.username)
    limitAccount(sec, `user:${username}`)
    const rows = await db.query<{
      id: string
      password_hash: string
      disabled: boolean
      role: Role
    }>(`SELECT id::text AS id, password_hash, disabled, role FROM users WHERE username = $1`, [
      username,
    ])
    const row = rows[0]
    // Attempts against unknown names are logged without the name: it may be a mistyped password.
    const fail = async (reason: string) =>
      sec.audit(c, {
        actor: row?.id ?? null,
        actorKind: row ? 'user' : 'anonymous',
        action: AuditAction.userLogin,
        ok: false,
        detail: { reason },
      })
    if (!(await sec.hasher.verify(body.password, row?.password_hash ?? null))) {
      await fail(row ? 'wrong password' : 'no such user')
      throw unauthorized('username or password is wrong')
    }
    if (row!.disabled) {
      await fail('user disabled')
      throw forbidden('this user is disabled')
    }
    const user = row!
    const issued = await db.transaction(async (tx) => {
      const r = await sec.tokens.issue({ kind: 'user', id: user.id, role: user.role }, tx)
      await sec.audit(
        c,
        {
          actor: user.id,
          actorKind: 'user',
          action: AuditAction.userLogin,
          ok: true,
          detail: { family: r.familyId },
        },
        tx,
      )
      return r
    })
    return c.json({
      ...issued.tokens,
      user: { id: user.id, username, role: user.role, permissions: ROLE_PERMISSIONS[user.role] },
    })
  })

  app.post('/refresh', async (c) => {
    const body = validate(RefreshBody, await readJson(c.req.raw))
    const r = await sec.tokens.rotate(body.refresh_token)
    const event = (
      ok: boolean,
      actor: { kind: Subject['kind']; id: string } | null,
      detail: Record<string, string>,
      action: AuditAction = AuditAction.refresh,
    ) =>
      sec.audit(c, {
        actor: actor?.id ?? null,
        actorKind: actor?.kind ?? 'anonymous',
        action,
        ok,
        detail,
      })
    switch (r.kind) {
      case 'ok':
        await event(true, r.subject, { family: r.familyId })
        return c.json({
          ...r.tokens,
          ...(r.subject.kind === 'agent'
            ? { agent_id: r.subject.id }
            : {
                user: {
                  id: r.subject.id,
                  role: r.subject.role,
                  permissions: ROLE_PERMISSIONS[r.subject.role],
                },
              }),
        })
      case 'reused':
        sec.cut([`family:${r.familyId}`])
        await event(
          false,
          r.subject,
          { family: r.familyId, reason: 'refresh token reused' },
          AuditAction.refreshReuse,
        )
        throw unauthorized(
          'this refresh token was already used: every token of this login is now revoked; log in again',
        )
      case 'revoked':
        await event(false, r.subject, { family: r.familyId, reason: 'family revoked' })
        throw unauthorized('this login was revoked; log in again')
      case 'disabled':
        sec.cut([`family:${r.familyId}`])
        await event(false, r.subject, { family: r.familyId, reason: `${r.subject.kind} disabled` })
        throw unauthorized(`this ${r.subject.kind} is disabled`)
      case 'expired':
        await event(false, null, { reason: 'refresh token expired' })
        throw unauthorized('refresh token expired; log in again')
      case 'unknown':
        await event(false, null, { reason: 'unknown refresh token' })
        throw unauthorized('unknown refresh token')
    }
  })

  app.post('/logout', async (c) => {
    const body = validate(RefreshBody, await readJson(c.req.raw))
    const r = await sec.tokens.revokeByToken(body.refresh_token, 'logout')
    if (r) {
      sec.cut([`family:${r.familyId}`])
      await sec.audit(c, {
        actor: r.subject.id,
        actorKind: r.subject.kind,
        action: AuditAction.logout,
        ok: true,
        detail: { family: r.familyId },
      })
    }
    // Same answer either way: logout does not tell whether a token existed.
    return c.body(null, 204)
  })

  return app
}
