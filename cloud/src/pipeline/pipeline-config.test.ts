import { describe, expect, test } from 'vitest'
import { ConfigError } from '@kefu/schema'
import { cloudHelp, embedderChoiceOf, loadCloudConfig } from '../config.ts'
import { parseEmbedderChoice } from './embedder-choice.ts'
import { parseLlmProviders } from './llm-config.ts'

describe('reply pipeline configuration', () => {
  test('no provider is the default: the pipeline answers without an LLM', () => {
    const c = loadCloudConfig([], {})
    expect(c.llm).toEqual([])
    expect(embedderChoiceOf(c)).toEqual({ kind: 'lexical' })
    expect(c.debounceMs).toBe(2500)
  })

  test('providers come in priority order with their per-provider keys, URLs and models', () => {
    const c = loadCloudConfig([], {
      KEFU_LLM_PROVIDERS: 'deepseek, qwen',
      KEFU_LLM_DEEPSEEK_API_KEY: 'sk-d',
      KEFU_LLM_QWEN_API_KEY: 'sk-q',
      KEFU_LLM_QWEN_BASE_URL: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
      KEFU_LLM_QWEN_MODEL: 'qwen-turbo',
      KEFU_LLM_TIMEOUT_MS: '5000',
    })
    expect(c.llm).toEqual([
      { id: 'deepseek', apiKey: 'sk-d', timeoutMs: 5000 },
      {
        id: 'qwen',
        apiKey: 'sk-q',
        baseURL: 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
        model: 'qwen-turbo',
        timeoutMs: 5000,
      },
    ])
  })

  test('a provider without a key, an unknown or a repeated one is a config error naming the variable', () => {
    expect(() => parseLlmProviders(['deepseek'], {})).toThrow(/KEFU_LLM_DEEPSEEK_API_KEY/)
    expect(() => parseLlmProviders(['gpt5'], {})).toThrow(ConfigError)
    expect(() => parseLlmProviders(['qwen', 'qwen'], { KEFU_LLM_QWEN_API_KEY: 'k' })).toThrow(
      /twice/,
    )
  })

  test('embedder choices', () => {
    expect(parseEmbedderChoice('transformers:models/tiny-zh')).toEqual({
      kind: 'transformers',
      modelDir: 'models/tiny-zh',
    })
    expect(parseEmbedderChoice('transformers')).toEqual({
      kind: 'transformers',
      modelDir: 'models/tiny-zh',
    })
    expect(() => loadCloudConfig([], { KEFU_EMBEDDER: 'openai' })).toThrow(/KEFU_EMBEDDER_BASE_URL/)
    expect(
      embedderChoiceOf(
        loadCloudConfig(['--embedder', 'openai'], {
          KEFU_EMBEDDER_BASE_URL: 'http://127.0.0.1:9/v1',
          KEFU_EMBEDDER_MODEL: 'text-embedding-3-small',
        }),
      ),
    ).toEqual({ kind: 'openai', baseURL: 'http://127.0.0.1:9/v1', model: 'text-embedding-3-small' })
    expect(() => parseEmbedderChoice('word2vec')).toThrow(/KEFU_EMBEDDER/)
  })

  test('--help lists the new options', () => {
    const help = cloudHelp()
    for (const s of [
      'KEFU_LLM_PROVIDERS',
      'KEFU_EMBEDDER',
      'KEFU_DEBOUNCE_MS',
      'KEFU_LLM_<ID>_API_KEY',
    ])
      expect(help).toContain(s)
  })
})
