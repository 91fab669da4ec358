/**
 * Where a request comes from, for the audit log and per-address limits. The socket's peer is
 * the truth; `X-Forwarded-For` is believed only for as many hops as `KEFU_TRUST_PROXY` says
 * there are proxies of ours in front, because anyone can send that header.
 */
import { isIP } from 'node:net'
import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * Parses `KEFU_TRUST_PROXY`: unset/`false`/`0` → 0 hops, `true`/`yes` → 1, a number → that many.
 * Returns null for anything else.
 */
export function parseTrustProxy(raw: string | undefined): number | null {
  if (raw === undefined) return 0
  const v = raw.trim().toLowerCase()
  if (v === '' || v === 'false' || v === 'no' || v === 'off') return 0
  if (v === 'true' || v === 'yes' || v === 'on') return 1
  if (/^\d{1,2}$/.test(v)) return Number(v)
  return null
}

/** The socket peer's address, or null when there is no socket (in-process `app.request`). */
export function socketAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null
  } catch {
    return null
  }
}

/**
 * The client address: with `trustedHops` proxies in front, the entry that many places from the
 * right of `[...X-Forwarded-For, peer]`; entries that are not IP addresses end the walk.
 */
export function clientIp(c: Context, trustedHops: number): string | null {
  const peer = socketAddress(c)
  if (trustedHops <= 0) return peer
  const xff = c.req.header('x-forwarded-for')
  if (!xff) return peer
  const chain = [
    ...xff
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ]
  let ip = peer
  for (let hop = 0; hop < trustedHops && chain.length > 0; hop++) {
    const next = chain.pop()!
    if (isIP(next) === 0) break
    ip = next
  }
  return ip
}
