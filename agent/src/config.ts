import { parseConfig, helpText, type ConfigOf } from '@kefu/schema'

/** Every option of `kefu agent`, once: flag, environment variable, default and help. */
export const agentConfigSpec = {
  cloud: { kind: 'string', flag: 'cloud', env: 'KEFU_CLOUD_URL', default: 'http://127.0.0.1:8787', help: 'the cloud to sync with' },
  agentId: { kind: 'string', flag: 'agent-id', env: 'KEFU_AGENT_ID', help: "this agent's id (a UUID the cloud knows)" },
  secret: { kind: 'string', flag: 'secret', env: 'KEFU_AGENT_SECRET', secret: true, help: "the agent's secret (prefer the environment variable: flags show up in process lists)" },
  auth: { kind: 'string', flag: 'auth', env: 'KEFU_AGENT_AUTH', default: 'token', help: "token: log in with the agent's own secret (short-lived tokens, refreshed); shared: the cloud's development shared secret" },
  dataDir: { kind: 'string', flag: 'data', env: 'KEFU_AGENT_DATA', default: './data/agent', help: 'data folder (journal and sealed replica; nothing readable without the key)' },
  passphrase: { kind: 'string', env: 'KEFU_AGENT_PASSPHRASE', secret: true, help: 'passphrase that derives the data key (scrypt) when no OS keystore is available' },
  driver: { kind: 'string', flag: 'driver', env: 'KEFU_DRIVER', default: 'screen', help: 'WeChat driver: screen (nut-js + OCR on the real client) or sim (in-process stand-in)' },
  logLevel: { kind: 'string', flag: 'log-level', env: 'LOG_LEVEL', default: 'info', help: 'pino level: fatal, error, warn, info, debug, trace' },
  minGapMs: { kind: 'int', flag: 'min-gap-ms', env: 'KEFU_MIN_GAP_MS', default: 1200, min: 1000, help: 'minimum time between two sends (jitter is added)' },
  perChatMax: { kind: 'int', flag: 'per-chat-max', env: 'KEFU_PER_CHAT_MAX', default: 6, min: 1, help: 'most sends per chat per minute' },
  globalMax: { kind: 'int', flag: 'global-max', env: 'KEFU_GLOBAL_MAX', default: 20, min: 1, help: 'most sends per minute over all chats' },
  offlineAnswers: { kind: 'boolean', flag: 'offline-answers', env: 'KEFU_OFFLINE_ANSWERS', default: true, help: 'answer greetings and FAQs locally while the cloud is unreachable' },
} as const

export type AgentConfig = ConfigOf<typeof agentConfigSpec>

export function loadAgentConfig(argv: readonly string[], env: Record<string, string | undefined>): AgentConfig {
  return parseConfig(agentConfigSpec, { argv, env })
}

export const agentHelp = (): string =>
  helpText(
    agentConfigSpec,
    'Usage: kefu agent [options]\n       kefu agent status [--data DIR]\n\nRuns the headless agent beside WeChat: capture, encrypted replica, outbox, replies.',
  )
