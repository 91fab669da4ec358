/**
 * Running the headless agent from a config (what `kefu agent` and the demo do): the driver,
 * the data key, credentials, the agent itself and its status file.
 */
import type { Logger } from 'pino'
import type { AgentConfig } from './config.ts'
import { createKefuAgent, type KefuAgent } from './core/agent.ts'
import type { AgentCredentials } from './core/credentials.ts'
import { sharedSecret } from './core/credentials.ts'
import { tokenCredentials } from './core/token-credentials.ts'
import { writeStatusFile } from './core/status-file.ts'
import { keyFromPassphrase } from './store/crypto.ts'
import type { WeChatDriver } from './driver/driver.ts'
import { createSimDriver } from './driver/sim-driver.ts'
import { applyAgentV8Flags } from './sync/v8-flags.ts'

export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AgentConfigError'
  }
}

export interface RunningAgent {
  agent: KefuAgent
  driver: WeChatDriver
  stop(): Promise<void>
}

/** Builds and starts an agent from its config; `driver` overrides the configured one. */
export async function runAgent(
  config: AgentConfig,
  logger: Logger,
  overrides: { driver?: WeChatDriver; credentials?: AgentCredentials; key?: Buffer } = {},
): Promise<RunningAgent> {
  if (!config.agentId) throw new AgentConfigError('--agent-id (or KEFU_AGENT_ID) is required')
  if (!overrides.credentials && !config.secret) throw new AgentConfigError('KEFU_AGENT_SECRET (or --secret) is required')
  if (!overrides.key && !config.passphrase) throw new AgentConfigError('KEFU_AGENT_PASSPHRASE is required to open the encrypted data folder')
  if (config.auth !== 'token' && config.auth !== 'shared') throw new AgentConfigError(`unknown --auth "${config.auth}" (token or shared)`)
  // This process runs an agent: tune V8 for it before the replica's WebAssembly is compiled.
  applyAgentV8Flags()
  let driver = overrides.driver
  if (!driver) {
    if (config.driver === 'sim') driver = createSimDriver()
    else if (config.driver === 'screen') {
      const { createScreenDriver } = await import('./driver/screen-driver.ts')
      driver = createScreenDriver({ logger })
    } else throw new AgentConfigError(`unknown driver "${config.driver}" (screen or sim)`)
  }
  const key = overrides.key ?? (await keyFromPassphrase(config.dataDir, config.passphrase!))
  const agent = createKefuAgent({
    cloudUrl: config.cloud.replace(/\/+$/, ''),
    agentId: config.agentId,
    credentials:
      overrides.credentials ??
      (config.auth === 'shared'
        ? sharedSecret(config.agentId, config.secret!)
        : tokenCredentials({ cloudUrl: config.cloud.replace(/\/+$/, ''), agentId: config.agentId, secret: config.secret!, logger })),
    dataDir: config.dataDir,
    key,
    driver,
    logger,
    pacing: { minGapMs: config.minGapMs, perChatMax: config.perChatMax, globalMax: config.globalMax },
    offlineAnswers: config.offlineAnswers,
  })
  await agent.start()
  const tick = () => writeStatusFile(config.dataDir, { ...agent.status(), pid: process.pid, updatedAt: new Date().toISOString() })
  tick()
  const timer = setInterval(tick, 5000)
  return {
    agent,
    driver,
    async stop() {
      clearInterval(timer)
      tick()
      await agent.stop()
    },
  }
}
