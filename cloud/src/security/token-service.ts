/**
 * Access and refresh tokens.
 *
 * - Access token: a JWT (HS256, `typ: at+jwt`, iss/aud `kefu`) living at most 15 minutes, never
 *   stored. Claims: `sub` (agent or user id), `knd` (`agent`|`user`), `fam` (token family),
 *   `role` (users), `jti`. Verified with the algorithm pinned, so `alg: none` and foreign keys fail.
 * - Refresh token: 256 random bits, stored only as SHA-256, single use. Rotation spends the
 *   presented token and issues the next one in the same family:
 *
 *     login ──► family F, token t1 ──refresh(t1)──► t2 ──refresh(t2)──► t3 …
 *                                   refresh(t1) again ──► reuse: F revoked, t3 dead too
 *     logout(t) / subject disabled ──► F revoked
 *
 * Expected outcomes of a refresh are returned as a tagged union; only the routes turn them into
 * HTTP errors.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { SignJWT, jwtVerify } from 'jose'
import { z } from 'zod'
import type { Db, Queryable } from '@kefu/migrations'
import { Role, isUuid, newId } from '@kefu/schema'

export const TOKEN_ISSUER = 'kefu'
export const TOKEN_AUDIENCE = 'kefu'
const TOKEN_TYPE = 'at+jwt'
/** The longest access token lifetime the issue allows. */
export const MAX_ACCESS_TTL_S = 15 * 60

export type Subject = { kind: 'agent'; id: string } | { kind: 'user'; id: string; role: Role }
/** Who a family belongs to, without what they may do (that is re-read on every refresh). */
export interface SubjectRef {
  kind: Subject['kind']
  id: string
}

export interface AccessClaims {
  subject: Subject
  familyId: string
  expiresAt: number
}

export interface IssuedTokens {
  access_token: string
  token_type: 'Bearer'
  /** Seconds. */
  expires_in: number
  refresh_token: string
  /** Seconds. */
  refresh_expires_in: number
}

export type RotateResult =
  | { kind: 'ok'; subject: Subject; familyId: string; tokens: IssuedTokens }
  /** A spent token came back: the family is now revoked. */
  | { kind: 'reused'; subject: SubjectRef; familyId: string }
  | { kind: 'expired' }
  | { kind: 'revoked'; subject: SubjectRef; familyId: string }
  /** The agent or user is disabled or gone: the family is now revoked. */
  | { kind: 'disabled'; subject: SubjectRef; familyId: string }
  | { kind: 'unknown' }

export interface TokenServiceOptions {
  db: Db
  /** HMAC key, at least 32 bytes. */
  secret: Uint8Array
  accessTtlS: number
  refreshTtlS: number
  now?: () => number
}

export interface TokenService {
  /** Starts a new family for `subject` (a login). */
  issue(subject: Subject, tx?: Queryable): Promise<{ familyId: string; tokens: IssuedTokens }>
  /** The claims of a valid access token, or null for anything else. */
  verifyAccess(token: string): Promise<AccessClaims | null>
  /** Spends `refreshToken` and issues the next one. */
  rotate(refreshToken: string): Promise<RotateResult>
  /** Revokes the family of `refreshToken` (logout); null when there is no such token. */
  revokeByToken(
    refreshToken: string,
    reason: string,
  ): Promise<{ subject: SubjectRef; familyId: string } | null>
  /** Revokes every live family of a subject (disable, secret rotation); returns their ids. */
  revokeSubject(
    kind: Subject['kind'],
    id: string,
    reason: string,
    tx?: Queryable,
  ): Promise<string[]>
}

const Claims = z.object({
  sub: z.uuid(),
  knd: z.enum(['agent', 'user']),
  fam: z.uuid(),
  role: z.enum(Role).optional(),
  exp: z.number(),
  iat: z.number(),
})

const REFRESH_RE = /^rt_[A-Za-z0-9_-]{43}$/

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

export function createTokenService(o: TokenServiceOptions): TokenService {
  if (o.secret.byteLength < 32) throw new RangeError('the token key must be at least 32 bytes')
  if (o.accessTtlS > MAX_ACCESS_TTL_S)
    throw new RangeError(`access tokens live at most ${MAX_ACCESS_TTL_S} s`)
  const now = o.now ?? Date.now
  const { db } = o

  async function accessToken(subject: Subject, familyId: string): Promise<string> {
    const iat = Math.floor(now() / 1000)
    const jwt = new SignJWT({
      knd: subject.kind,
      fam: familyId,
      ...(subject.kind === 'user' ? { role: subject.role } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYPE })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(subject.id)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + o.accessTtlS)
    return jwt.sign(o.secret)
  }

  async function newRefresh(q: Queryable, familyId: string): Promise<string> {
    const token = `rt_${randomBytes(32).toString('base64url')}`
    await q.query(
      `INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2::uuid, $3::timestamptz)`,
      [sha256(token), familyId, new Date(now() + o.refreshTtlS * 1000).toISOString()],
    )
    return token
  }

  async function tokensFor(
    q: Queryable,
    subject: Subject,
    familyId: string,
  ): Promise<IssuedTokens> {
    return {
      access_token: await accessToken(subject, familyId),
      token_type: 'Bearer',
      expires_in: o.accessTtlS,
      refresh_token: await newRefresh(q, familyId),
      refresh_expires_in: o.refreshTtlS,
    }
  }

  async function revokeFamily(q: Queryable, familyId: string, reason: string): Promise<void> {
    await q.query(
      `UPDATE auth_families SET revoked_at = $2::timestamptz, revoked_reason = $3 WHERE id = $1::uuid AND revoked_at IS NULL`,
      [familyId, new Date(now()).toISOString(), reason],
    )
  }

  /** The subject of a family as it is now: its role re-read, null when disabled or gone. */
  async function liveSubject(
    q: Queryable,
    kind: Subject['kind'],
    id: string,
  ): Promise<Subject | null> {
    if (kind === 'agent') {
      const r = await q.query<{ disabled: boolean }>(
        `SELECT disabled FROM agents WHERE id = $1::uuid`,
        [id],
      )
      return r[0] && !r[0].disabled ? { kind, id } : null
    }
    const r = await q.query<{ disabled: boolean; role: Role }>(
      `SELECT disabled, role FROM users WHERE id = $1::uuid`,
      [id],
    )
    return r[0] && !r[0].disabled ? { kind, id, role: r[0].role } : null
  }

  return {
    async issue(subject, tx) {
      const familyId = newId()
      const run = async (q: Queryable) => {
        await q.query(
          `INSERT INTO auth_families (id, subject_kind, subject_id) VALUES ($1::uuid, $2, $3::uuid)`,
          [familyId, subject.kind, subject.id],
        )
        return { familyId, tokens: await tokensFor(q, subject, familyId) }
      }
      return tx ? run(tx) : db.transaction(run)
    },

    async verifyAccess(token) {
      // A JWT is three base64url parts; anything else (or absurdly long) is not worth parsing.
      if (token.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
        return null
      try {
        const { payload } = await jwtVerify(token, o.secret, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          typ: TOKEN_TYPE,
          currentDate: new Date(now()),
          maxTokenAge: o.accessTtlS,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        })
        const c = Claims.safeParse(payload)
        if (!c.success) return null
        const { sub, knd, fam, role, exp, iat } = c.data
        if (knd === 'user' && !role) return null
        // maxTokenAge bounds the age, not the promise: refuse tokens minted to outlive the TTL.
        if (exp - iat > o.accessTtlS) return null
        const subject: Subject =
          knd === 'agent' ? { kind: 'agent', id: sub } : { kind: 'user', id: sub, role: role! }
        return { subject, familyId: fam, expiresAt: exp * 1000 }
      } catch {
        return null
      }
    },

    async rotate(refreshToken) {
      if (!REFRESH_RE.test(refreshToken)) return { kind: 'unknown' }
      const hash = sha256(refreshToken)
      return db.transaction(async (tx): Promise<RotateResult> => {
        const rows = await tx.query<{
          family_id: string
          kind: Subject['kind']
          subject_id: string
          used: boolean
          expired: boolean
          revoked: boolean
        }>(
          `SELECT t.family_id::text AS family_id, f.subject_kind AS kind, f.subject_id::text AS subject_id,
                  t.used_at IS NOT NULL AS used, t.expires_at <= $2::timestamptz AS expired,
                  f.revoked_at IS NOT NULL AS revoked
             FROM refresh_tokens t JOIN auth_families f ON f.id = t.family_id
            WHERE t.token_hash = $1
              FOR UPDATE OF t, f`,
          [hash, new Date(now()).toISOString()],
        )
        const t = rows[0]
        if (!t) return { kind: 'unknown' }
        const familyId = t.family_id
        const subject: SubjectRef = { kind: t.kind, id: t.subject_id }
        if (t.revoked) return { kind: 'revoked', subject, familyId }
        if (t.used) {
          await revokeFamily(tx, familyId, 'refresh token reused')
          return { kind: 'reused', subject, familyId }
        }
        if (t.expired) return { kind: 'expired' }
        const live = await liveSubject(tx, t.kind, t.subject_id)
        if (!live) {
          await revokeFamily(tx, familyId, `${t.kind} disabled`)
          return { kind: 'disabled', subject, familyId }
        }
        await tx.query(
          `UPDATE refresh_tokens SET used_at = $2::timestamptz WHERE token_hash = $1`,
          [hash, new Date(now()).toISOString()],
        )
        return { kind: 'ok', subject: live, familyId, tokens: await tokensFor(tx, live, familyId) }
      })
    },

    async revokeByToken(refreshToken, reason) {
      if (!REFRESH_RE.test(refreshToken)) return null
      return db.transaction(async (tx) => {
        const r = await tx.query<{ family_id: string; kind: Subject['kind']; subject_id: string }>(
          `SELECT t.family_id::text AS family_id, f.subject_kind AS kind, f.subject_id::text AS subject_id
             FROM refresh_tokens t JOIN auth_families f ON f.id = t.family_id WHERE t.token_hash = $1`,
          [sha256(refreshToken)],
        )
        if (!r[0]) return null
        await revokeFamily(tx, r[0].family_id, reason)
        return { subject: { kind: r[0].kind, id: r[0].subject_id }, familyId: r[0].family_id }
      })
    },

    async revokeSubject(kind, id, reason, tx) {
      if (!isUuid(id)) return []
      const r = await (tx ?? db).query<{ id: string }>(
        `UPDATE auth_families SET revoked_at = $3::timestamptz, revoked_reason = $4
          WHERE subject_kind = $1 AND subject_id = $2::uuid AND revoked_at IS NULL RETURNING id::text AS id`,
        [kind, id, new Date(now()).toISOString(), reason],
      )
      return r.map((x) => x.id)
    },
  }
}
