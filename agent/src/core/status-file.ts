/**
 * The running agent's status, written every few seconds to `<data>/status.json` so that
 * `kefu agent status` (and supervisors' tools) can read it. Counts and times only: no
 * customer text ever goes there.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AgentStatus } from './agent.ts'

export function writeStatusFile(dataDir: string, s: AgentStatus & { pid: number; updatedAt: string }): void {
  const path = join(dataDir, 'status.json')
  writeFileSync(`${path}.tmp`, JSON.stringify(s, null, 2))
  renameSync(`${path}.tmp`, path)
}

export function readStatusFile(dataDir: string): (AgentStatus & { pid: number; updatedAt: string }) | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'status.json'), 'utf8')) as AgentStatus & { pid: number; updatedAt: string }
  } catch {
    return null
  }
}

/** Human-readable lines for `kefu agent status`. */
export function formatStatus(s: (AgentStatus & { pid: number; updatedAt: string }) | null, now = Date.now()): string {
  if (!s) return 'no agent status found in this data folder (is the agent running?)'
  const ago = (iso: string | null) => (iso ? `${Math.round((now - Date.parse(iso)) / 1000)} s ago` : 'never')
  const stale = now - Date.parse(s.updatedAt) > 30_000
  return [
    `agent ${s.agentId} (pid ${s.pid})${stale ? ' — status is stale: the agent may have stopped' : ''}`,
    `  cloud:          ${s.online ? 'online' : 'OFFLINE'} (last contact ${ago(s.lastContactAt)})`,
    `  replica:        ${s.replicaUpToDate ? 'up to date' : 'catching up'}${s.syncLagMs !== null ? `, last sync ${Math.round(s.syncLagMs / 1000)} s ago` : ''}`,
    `  outbox:         ${s.outboxDepth} pending${s.rejectedChanges ? `, ${s.rejectedChanges} rejected (see logs)` : ''}`,
    `  WeChat window:  ${s.windowFound ? 'found' : 'NOT FOUND'}`,
    `  last capture:   ${ago(s.lastCaptureAt)}`,
    `  since start:    ${s.captured} captured, ${s.sent} sent`,
  ].join('\n')
}
