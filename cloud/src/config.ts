import { ConfigError, parseConfig, helpText, type ConfigOf } from '@kefu/schema'
import type { GatewayProviderConfig } from './llm/gateway.ts'
import { parseEmbedderChoice, type EmbedderChoice } from './pipeline/embedder-choice.ts'
import { parseLlmProviders } from './pipeline/llm-config.ts'
import { parseTrustProxy } from './security/client-ip.ts'

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
  jwtSecret: { kind: 'string', env: 'KEFU_JWT_SECRET', secret: true, help: 'HMAC key (≥ 32 characters) signing access tokens; the same on every instance. Unset: a random key per process (tokens die on restart)' },
  accessTtlS: { kind: 'int', flag: 'access-ttl', env: 'KEFU_ACCESS_TTL_S', default: 900, min: 30, max: 900, help: 'access token lifetime in seconds (at most 15 minutes)' },
  refreshTtlS: { kind: 'int', flag: 'refresh-ttl', env: 'KEFU_REFRESH_TTL_S', default: 30 * 24 * 3600, min: 300, max: 90 * 24 * 3600, help: 'refresh token lifetime in seconds; each refresh issues a new one' },
  rateLimitPerSec: { kind: 'number', flag: 'rate-limit', env: 'KEFU_RATE_LIMIT_PER_SEC', default: 60, min: 0.01, max: 100_000, help: 'requests per second each agent and each console user may make (per instance)' },
  rateLimitBurst: { kind: 'int', flag: 'rate-limit-burst', env: 'KEFU_RATE_LIMIT_BURST', default: 600, min: 1, max: 1_000_000, help: 'requests an agent or user may make at once above the steady rate' },
  loginPerMin: { kind: 'int', flag: 'login-rate-limit', env: 'KEFU_LOGIN_RATE_LIMIT', default: 20, min: 1, max: 100_000, help: 'login attempts per minute per client address and per account' },
  trustProxy: { kind: 'string', flag: 'trust-proxy', env: 'KEFU_TRUST_PROXY', help: 'believe X-Forwarded-For: true (one reverse proxy) or the number of proxies in front; unset, the socket address is used' },
  passwordHashCost: { kind: 'int', env: 'KEFU_PASSWORD_HASH_COST', default: 15, min: 10, max: 20, help: 'log2 of scrypt N for new secret and password hashes' },
  maxBodyBytes: { kind: 'int', flag: 'max-body', env: 'KEFU_MAX_BODY_BYTES', default: 1024 * 1024, min: 1024, max: 64 * 1024 * 1024, help: 'largest request body accepted (larger: 413)' },
  llmProviders: { kind: 'list', flag: 'llm-providers', env: 'KEFU_LLM_PROVIDERS', help: 'LLM providers, primary first (openai, anthropic, deepseek, qwen, zhipu, moonshot, doubao); each reads KEFU_LLM_<ID>_API_KEY and optionally KEFU_LLM_<ID>_BASE_URL, KEFU_LLM_<ID>_MODEL. None: FAQ/KB answers only, the rest handed off' },
  llmTimeoutMs: { kind: 'int', flag: 'llm-timeout-ms', env: 'KEFU_LLM_TIMEOUT_MS', default: 10_000, min: 500, max: 120_000, help: 'per-attempt LLM timeout before failing over to the next provider' },
  embedder: { kind: 'string', flag: 'embedder', env: 'KEFU_EMBEDDER', default: 'lexical', help: 'embeddings for retrieval: lexical, transformers:<model dir> or openai; must match the one the knowledge base was imported with' },
  embedderBaseUrl: { kind: 'string', env: 'KEFU_EMBEDDER_BASE_URL', help: 'OpenAI-compatible /embeddings base URL, e.g. https://api.openai.com/v1 (KEFU_EMBEDDER=openai)' },
  embedderModel: { kind: 'string', env: 'KEFU_EMBEDDER_MODEL', help: 'embedding model name (KEFU_EMBEDDER=openai)' },
  embedderApiKey: { kind: 'string', env: 'KEFU_EMBEDDER_API_KEY', secret: true, help: 'API key of the embeddings endpoint (KEFU_EMBEDDER=openai)' },
} as const

/** The parsed options plus the LLM providers their per-provider variables describe. */
export type CloudConfig = ConfigOf<typeof cloudConfigSpec> & {
  readonly llm: readonly GatewayProviderConfig[]
}

/** Parses `kefu cloud` options from argv and the environment. */
export function loadCloudConfig(argv: readonly string[], env: Record<string, string | undefined>): CloudConfig {
  const config = parseConfig(cloudConfigSpec, { argv, env })
  if (config.jwtSecret !== undefined && config.jwtSecret.length < 32)
    throw new ConfigError('KEFU_JWT_SECRET', 'must be at least 32 characters (e.g. openssl rand -base64 48)')
  if (parseTrustProxy(config.trustProxy) === null)
    throw new ConfigError('KEFU_TRUST_PROXY', `expected true, false or a number of proxies, got "${config.trustProxy}"`)
  embedderChoiceOf(config)
  return { ...config, llm: parseLlmProviders(config.llmProviders ?? [], env, { timeoutMs: config.llmTimeoutMs }) }
}

/** The retrieval embedder the options name (validated by `loadCloudConfig`). */
export const embedderChoiceOf = (
  config: Pick<CloudConfig, 'embedder' | 'embedderBaseUrl' | 'embedderModel' | 'embedderApiKey'>,
): EmbedderChoice =>
  parseEmbedderChoice(config.embedder, { baseURL: config.embedderBaseUrl, model: config.embedderModel, apiKey: config.embedderApiKey })

/** How many X-Forwarded-For hops to believe (validated by `loadCloudConfig`). */
export const trustProxyHops = (config: Pick<CloudConfig, 'trustProxy'>): number => parseTrustProxy(config.trustProxy) ?? 0

export const cloudHelp = (): string =>
  helpText(cloudConfigSpec, 'Usage: kefu cloud [options]\n\nRuns the kefu cloud: REST API, Electric shape endpoint, workers.')
