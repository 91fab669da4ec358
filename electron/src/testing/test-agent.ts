/**
 * A real headless agent for Node tests of the shell and the IPC handlers: its own data folder
 * and key, pointed at a cloud that is not there (it runs offline, as agents do).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { newId } from '@kefu/schema'
import {
  createKefuAgent,
  sharedSecret,
  type AgentOptions,
  type CapturedMessage,
  type KefuAgent,
} from '@kefu/agent'

/** Nothing listens on the discard port: requests fail at once. */
export const UNREACHABLE_CLOUD = 'http://127.0.0.1:9'

export const silentLogger = () => pino({ level: 'silent' })

export interface TestAgent {
  agent: KefuAgent
  agentId: string
  dataDir: string
  /** Stops the agent (without a checkpoint) and removes its folder. */
  dispose(): Promise<void>
}

export function createTestAgent(o: Partial<AgentOptions> = {}): TestAgent {
  const agentId = o.agentId ?? newId()
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'kefu-electron-agent-'))
  const agent = createKefuAgent({
    cloudUrl: UNREACHABLE_CLOUD,
    credentials: sharedSecret(agentId, 'test-secret'),
    key: randomBytes(32),
    logger: silentLogger(),
    ...o,
    agentId,
    dataDir,
  })
  return {
    agent,
    agentId,
    dataDir,
    async dispose() {
      await agent.stop({ checkpoint: false })
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

let seq = 0
/** A customer's bubble as a driver would read it. */
export function bubble(
  chat: string,
  text: string,
  o: Partial<CapturedMessage> = {},
): CapturedMessage {
  return {
    chatKey: chat,
    chatTitle: chat,
    isGroup: false,
    side: 'customer',
    sender: null,
    text,
    seenAt: new Date(),
    seq: seq++,
    mentioned: false,
    ...o,
  }
}
