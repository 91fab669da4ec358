/**
 * Which embedder turns queries and knowledge-base passages into vectors:
 * `lexical` (default, no model), `transformers:<model dir>` (a local ONNX model) or `openai`
 * (any OpenAI-compatible `/embeddings` endpoint). The cloud and `kefu kb import` must use the
 * same one: search only compares vectors of its own embedder.
 */
import { ConfigError } from '@kefu/schema'
import { createLexicalEmbedder, type Embedder } from '../rag/embedder.ts'
import { createOpenAiCompatibleEmbedder } from '../rag/embedder-openai.ts'
import { createTransformersEmbedder } from '../rag/embedder-transformers.ts'

/** A parsed embedder setting. */
export type EmbedderChoice =
  | { readonly kind: 'lexical' }
  | { readonly kind: 'transformers'; readonly modelDir: string }
  | {
      readonly kind: 'openai'
      readonly baseURL: string
      readonly model: string
      readonly apiKey?: string
    }

/** The model folder `transformers` means when none is named. */
export const DEFAULT_MODEL_DIR = 'models/tiny-zh'

/** Parses `KEFU_EMBEDDER`; the `openai` settings come from their own options. */
export function parseEmbedderChoice(
  value: string,
  openai: {
    baseURL?: string | undefined
    model?: string | undefined
    apiKey?: string | undefined
  } = {},
): EmbedderChoice {
  const v = value.trim()
  if (v === '' || v === 'lexical') return { kind: 'lexical' }
  if (v === 'transformers' || v.startsWith('transformers:')) {
    const dir = v.slice('transformers:'.length).trim()
    return {
      kind: 'transformers',
      modelDir: v === 'transformers' || dir === '' ? DEFAULT_MODEL_DIR : dir,
    }
  }
  if (v === 'openai') {
    if (!openai.baseURL)
      throw new ConfigError('KEFU_EMBEDDER_BASE_URL', 'is required with KEFU_EMBEDDER=openai')
    if (!openai.model)
      throw new ConfigError('KEFU_EMBEDDER_MODEL', 'is required with KEFU_EMBEDDER=openai')
    return {
      kind: 'openai',
      baseURL: openai.baseURL,
      model: openai.model,
      ...(openai.apiKey ? { apiKey: openai.apiKey } : {}),
    }
  }
  throw new ConfigError(
    'KEFU_EMBEDDER',
    `expected lexical, transformers:<model dir> or openai, got "${value}"`,
  )
}

/** Builds the chosen embedder (loading a local model may take a few seconds). */
export async function createEmbedderFor(choice: EmbedderChoice): Promise<Embedder> {
  switch (choice.kind) {
    case 'lexical':
      return createLexicalEmbedder()
    case 'transformers':
      return createTransformersEmbedder({ modelDir: choice.modelDir })
    case 'openai':
      return createOpenAiCompatibleEmbedder({
        baseURL: choice.baseURL,
        model: choice.model,
        ...(choice.apiKey ? { apiKey: choice.apiKey } : {}),
      })
  }
}
