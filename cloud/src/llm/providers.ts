/**
 * The seven LLM providers kefu can talk to, as data.
 *
 * Six speak the OpenAI chat-completions wire and go through the official `openai` SDK with a
 * `baseURL`; Claude speaks the Anthropic messages wire through `@anthropic-ai/sdk`.
 *
 * Prices are published list prices per million tokens at the time of writing, converted to USD
 * (Chinese providers list in CNY). They drift, so every gateway provider entry can override
 * `price` (and `model`, `baseURL`) from config; these are defaults, not truth.
 */

/** Provider ids, as an `as const` object (no TS enum). */
export const ProviderId = {
  openai: 'openai',
  anthropic: 'anthropic',
  deepseek: 'deepseek',
  qwen: 'qwen',
  zhipu: 'zhipu',
  moonshot: 'moonshot',
  doubao: 'doubao',
} as const
/** One of the seven provider ids. */
export type ProviderId = (typeof ProviderId)[keyof typeof ProviderId]

/** The wire protocol a provider speaks. */
export const Wire = { openai: 'openai', anthropic: 'anthropic' } as const
/** `openai` (chat completions) or `anthropic` (messages). */
export type Wire = (typeof Wire)[keyof typeof Wire]

/** USD per million tokens. */
export interface Price {
  readonly inputPerMTokUsd: number
  readonly outputPerMTokUsd: number
}

/** Static description of one provider. */
export interface ProviderSpec {
  readonly id: ProviderId
  readonly label: string
  readonly wire: Wire
  /** What the SDK gets as `baseURL` (the OpenAI SDK appends `/chat/completions`). */
  readonly baseURL: string
  readonly model: string
  readonly price: Price
}

/**
 * CNY per USD used to convert the Chinese list prices. Configurable through `price` overrides;
 * cost accounting is for budgeting and trend lines, not invoices.
 */
export const CNY_PER_USD = 7.2

const cny = (inputPerMTokCny: number, outputPerMTokCny: number): Price => ({
  inputPerMTokUsd: inputPerMTokCny / CNY_PER_USD,
  outputPerMTokUsd: outputPerMTokCny / CNY_PER_USD,
})

/** Default spec per provider. Models are the cheap, fast tier that suits customer service. */
export const PROVIDERS: Readonly<Record<ProviderId, ProviderSpec>> = {
  openai: {
    id: 'openai',
    label: 'OpenAI',
    wire: 'openai',
    baseURL: 'https://api.openai.com/v1',
    model: 'gpt-4o-mini',
    price: { inputPerMTokUsd: 0.15, outputPerMTokUsd: 0.6 },
  },
  anthropic: {
    id: 'anthropic',
    label: 'Anthropic Claude',
    wire: 'anthropic',
    // The Anthropic SDK appends `/v1/messages` itself.
    baseURL: 'https://api.anthropic.com',
    model: 'claude-haiku-4-5',
    price: { inputPerMTokUsd: 1, outputPerMTokUsd: 5 },
  },
  deepseek: {
    id: 'deepseek',
    label: 'DeepSeek',
    wire: 'openai',
    baseURL: 'https://api.deepseek.com/v1',
    model: 'deepseek-chat',
    // Cache-miss input price; cache hits are cheaper, so this errs high.
    price: { inputPerMTokUsd: 0.28, outputPerMTokUsd: 0.42 },
  },
  qwen: {
    id: 'qwen',
    label: 'Qwen (DashScope)',
    wire: 'openai',
    baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    model: 'qwen-plus',
    price: cny(0.8, 2),
  },
  zhipu: {
    id: 'zhipu',
    label: 'Zhipu GLM',
    wire: 'openai',
    baseURL: 'https://open.bigmodel.cn/api/paas/v4',
    model: 'glm-4-air',
    price: cny(0.5, 0.5),
  },
  moonshot: {
    id: 'moonshot',
    label: 'Moonshot Kimi',
    wire: 'openai',
    baseURL: 'https://api.moonshot.cn/v1',
    model: 'kimi-k2-0905-preview',
    price: cny(4, 16),
  },
  doubao: {
    id: 'doubao',
    label: 'Doubao (Volcengine Ark)',
    wire: 'openai',
    baseURL: 'https://ark.cn-beijing.volces.com/api/v3',
    // Ark also accepts an endpoint id (`ep-…`) here; set `model` per deployment.
    model: 'doubao-1-5-pro-32k-250115',
    price: cny(0.8, 2),
  },
}

/** Guard: is `v` one of the seven provider ids? */
export function isProviderId(v: unknown): v is ProviderId {
  return typeof v === 'string' && Object.hasOwn(PROVIDERS, v)
}

/** Cost in USD of one call from its token usage. */
export function costUsd(
  price: Price,
  usage: { inputTokens: number; outputTokens: number },
): number {
  return (
    (usage.inputTokens * price.inputPerMTokUsd + usage.outputTokens * price.outputPerMTokUsd) / 1e6
  )
}
