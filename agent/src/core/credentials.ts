/**
 * How the agent proves who it is to the cloud. `sharedSecret` is the development seam (an id
 * plus the cloud's shared secret); token-based credentials plug in behind the same interface.
 */
export interface AgentCredentials {
  /** Headers for the next request (re-read on every request, so refreshed tokens apply). */
  headers(): Promise<Record<string, string>>
  /** Called after a 401: obtain fresh credentials; resolves false when that is impossible. */
  refresh(): Promise<boolean>
}

export function sharedSecret(agentId: string, secret: string): AgentCredentials {
  const h = { 'x-kefu-agent-id': agentId, 'x-kefu-agent-secret': secret }
  return { headers: async () => h, refresh: async () => false }
}
