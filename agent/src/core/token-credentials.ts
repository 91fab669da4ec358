/**
 * Token credentials for an agent: it logs in with its id and secret (`POST /api/v1/auth/login`)
 * for a short-lived access token and a rotating refresh token, refreshes before expiry, and
 * logs in again when the refresh token is refused. Refreshes are single-flight: two concurrent
 * refreshes with the same token would count as reuse and revoke the whole login. Offline it
 * keeps presenting what it has; requests fail until the cloud is back, then it recovers.
 *
 *   none ──login──► valid ──(expires in < 60 s)──► refreshing ──ok──► valid
 *                     ▲                                └─401/403──► none (login again)
 *                     └─────────────── 401 on a request ──────────────┘
 */
import type { Logger } from 'pino'
import type { AgentCredentials } from './credentials.ts'

interface Tokens {
  access: string
  refresh: string
  expiresAt: number
}

export interface TokenCredentialsOptions {
  cloudUrl: string
  agentId: string
  secret: string
  logger: Logger
  fetch?: typeof fetch
  now?: () => number
  /** Refresh this long before the access token expires; default 60 s. */
  skewMs?: number
}

export class AuthRejectedError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'AuthRejectedError'
    this.status = status
  }
}

export function tokenCredentials(o: TokenCredentialsOptions): AgentCredentials & { tokens(): Tokens | null } {
  const log = o.logger.child({ component: 'auth' })
  const doFetch = o.fetch ?? fetch
  const now = o.now ?? Date.now
  let tokens: Tokens | null = null
  let inflight: Promise<boolean> | null = null

  const post = async (path: string, body: unknown): Promise<Tokens> => {
    const r = await doFetch(`${o.cloudUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
    if (!r.ok) throw new AuthRejectedError(r.status, `${path} answered ${r.status}`)
    const j = (await r.json()) as { access_token: string; refresh_token: string; expires_in: number }
    return { access: j.access_token, refresh: j.refresh_token, expiresAt: now() + j.expires_in * 1000 }
  }

  /** Refresh when possible, else log in; resolves false when the cloud refuses us (or is away). */
  const renew = (): Promise<boolean> => {
    inflight ??= (async () => {
      try {
        if (tokens) {
          try {
            tokens = await post('/api/v1/auth/refresh', { refresh_token: tokens.refresh })
            return true
          } catch (err) {
            if (!(err instanceof AuthRejectedError)) throw err
            log.info({ status: err.status }, 'refresh refused; logging in again')
          }
        }
        tokens = await post('/api/v1/auth/login', { agent_id: o.agentId, secret: o.secret })
        return true
      } catch (err) {
        // Unreachable or refused: keep what we have (requests will fail and be retried).
        log.warn({ err: (err as Error).message }, 'could not obtain a token')
        return false
      } finally {
        inflight = null
      }
    })()
    return inflight
  }

  return {
    tokens: () => tokens,
    async headers() {
      if (!tokens || tokens.expiresAt - now() < (o.skewMs ?? 60_000)) await renew()
      return { authorization: `Bearer ${tokens?.access ?? 'none'}` }
    },
    async refresh() {
      return renew()
    },
  }
}
