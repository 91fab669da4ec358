import { parseConfig, helpText, type ConfigOf } from '@kefu/schema'

/** Every option of `kefu cloud`, once: flag, environment variable, default and help. */
export const cloudConfigSpec = {
  port: { kind: 'int', flag: 'port', env: 'PORT', default: 8787, min: 0, max: 65535, help: 'HTTP port (0 picks a free one)' },
  host: { kind: 'string', flag: 'host', env: 'HOST', default: '127.0.0.1', help: 'interface to listen on (0.0.0.0 for all)' },
  dataDir: { kind: 'string', flag: 'data', env: 'KEFU_DATA_DIR', default: './data/cloud', help: 'embedded PGlite data folder, used when DATABASE_URL is not set' },
  databaseUrl: { kind: 'string', env: 'DATABASE_URL', secret: true, help: 'Postgres 15+ with pgvector, e.g. postgres://user@host:5432/kefu; replaces the embedded database' },
  logLevel: { kind: 'string', flag: 'log-level', env: 'LOG_LEVEL', default: 'info', help: 'pino level: fatal, error, warn, info, debug, trace' },
  agentSecret: { kind: 'string', env: 'KEFU_AGENT_SECRET', secret: true, help: 'shared secret agents present until they have their own credentials' },
  adminToken: { kind: 'string', env: 'KEFU_ADMIN_TOKEN', secret: true, help: 'bearer token with every permission (bootstrap and operations)' },
  longPollMs: { kind: 'int', flag: 'long-poll-ms', env: 'KEFU_LONG_POLL_MS', default: 20_000, min: 100, max: 40_000, help: 'how long a live shape request is held before answering up-to-date' },
  workers: { kind: 'boolean', flag: 'workers', env: 'KEFU_WORKERS', default: true, help: 'run the background workers (reply, stats) in this process' },
  debounceMs: { kind: 'int', flag: 'debounce-ms', env: 'KEFU_DEBOUNCE_MS', default: 2500, min: 0, max: 60_000, help: 'wait this long for more message fragments before answering' },
  tlsCert: { kind: 'string', flag: 'tls-cert', env: 'KEFU_TLS_CERT', help: 'PEM certificate file: serve HTTPS (TLS 1.2+) instead of HTTP' },
  tlsKey: { kind: 'string', flag: 'tls-key', env: 'KEFU_TLS_KEY', help: 'PEM private key file for --tls-cert' },
} as const

export type CloudConfig = ConfigOf<typeof cloudConfigSpec>

/** Parses `kefu cloud` options from argv and the environment. */
export function loadCloudConfig(argv: readonly string[], env: Record<string, string | undefined>): CloudConfig {
  return parseConfig(cloudConfigSpec, { argv, env })
}

export const cloudHelp = (): string =>
  helpText(cloudConfigSpec, 'Usage: kefu cloud [options]\n\nRuns the kefu cloud: REST API, Electric shape endpoint, workers.')
