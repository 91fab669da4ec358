/**
 * LLM providers from configuration: `KEFU_LLM_PROVIDERS=deepseek,qwen` lists them primary
 * first, and each reads `KEFU_LLM_<ID>_API_KEY` (required), `_BASE_URL` and `_MODEL`
 * (optional, the provider's defaults otherwise). The values arrive in the environment map the
 * caller passes in; nothing here reads `process.env`.
 */
import { ConfigError } from '@kefu/schema'
import type { GatewayProviderConfig } from '../llm/gateway.ts'
import { PROVIDERS, isProviderId } from '../llm/providers.ts'

/** Environment variable names of one provider's settings. */
export const llmEnvNames = (id: string) => {
  const p = `KEFU_LLM_${id.toUpperCase()}`
  return { apiKey: `${p}_API_KEY`, baseURL: `${p}_BASE_URL`, model: `${p}_MODEL` }
}

/** Gateway provider configs for `ids`, in order; throws {@link ConfigError} on a bad list. */
export function parseLlmProviders(
  ids: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  opts: { timeoutMs?: number } = {},
): GatewayProviderConfig[] {
  const seen = new Set<string>()
  return ids.map((raw) => {
    const id = raw.trim().toLowerCase()
    if (!isProviderId(id))
      throw new ConfigError(
        'KEFU_LLM_PROVIDERS',
        `unknown provider "${raw}" (one of ${Object.keys(PROVIDERS).join(', ')})`,
      )
    if (seen.has(id)) throw new ConfigError('KEFU_LLM_PROVIDERS', `"${id}" is listed twice`)
    seen.add(id)
    const names = llmEnvNames(id)
    const apiKey = env[names.apiKey]?.trim()
    if (!apiKey)
      throw new ConfigError(names.apiKey, `is required when ${id} is in KEFU_LLM_PROVIDERS`)
    const baseURL = env[names.baseURL]?.trim()
    const model = env[names.model]?.trim()
    return {
      id,
      apiKey,
      ...(baseURL ? { baseURL } : {}),
      ...(model ? { model } : {}),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    }
  })
}
