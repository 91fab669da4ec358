/**
 * An embedder running a local ONNX model through transformers.js (`feature-extraction`, mean
 * pooling, L2 normalisation). Models load only from a folder on disk — the hub is never
 * contacted — in the layout transformers.js expects: config.json, tokenizer.json,
 * tokenizer_config.json and onnx/model.onnx. A model whose width is not 384 is fitted by a
 * fixed random projection (or zero-padding when narrower).
 *
 * transformers.js keeps its settings in one global `env`; creating an embedder sets
 * `allowRemoteModels = false` and `localModelPath` to the model's parent folder for the
 * whole process.
 */
import { basename, dirname, resolve } from 'node:path'
import { existsSync } from 'node:fs'
import { EMBEDDING_DIMS, fitDims, type Embedder } from './embedder.ts'

/** Options for {@link createTransformersEmbedder}. */
export interface TransformersEmbedderOptions {
  /** The model folder (e.g. `models/tiny-zh`). */
  readonly modelDir: string
  /** Texts per forward pass; default 32. */
  readonly batchSize?: number
  /** Weights file variant under `onnx/`: `fp32` → model.onnx, `q8` → model_quantized.onnx. */
  readonly dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4'
  /** Prepended to every text, for models trained with one (e5: "query: "); default none. */
  readonly prefix?: string
}

/** A model folder that is missing or incomplete. */
export class ModelNotFoundError extends Error {
  readonly modelDir: string
  constructor(modelDir: string, missing: string) {
    super(`embedding model not found: ${modelDir} has no ${missing}`)
    this.name = 'ModelNotFoundError'
    this.modelDir = modelDir
  }
}

type Extractor = (
  texts: string[],
  opts: { pooling: 'mean'; normalize: boolean },
) => Promise<{ dims: number[]; tolist(): unknown }>

/** Loads the model and tokenizer from `modelDir`; resolves once they are ready to run. */
export async function createTransformersEmbedder(
  opts: TransformersEmbedderOptions,
): Promise<Embedder> {
  const dir = resolve(opts.modelDir)
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    if (!existsSync(resolve(dir, f))) throw new ModelNotFoundError(dir, f)
  // Loaded lazily: onnxruntime is heavy and most deployments use the lexical embedder.
  const { env, pipeline } = await import('@huggingface/transformers')
  env.allowRemoteModels = false
  env.allowLocalModels = true
  env.localModelPath = dirname(dir)
  const extractor = (await pipeline('feature-extraction', basename(dir), {
    dtype: opts.dtype ?? 'fp32',
    local_files_only: true,
  })) as unknown as Extractor
  const batchSize = opts.batchSize ?? 32
  const prefix = opts.prefix ?? ''
  const name = basename(dir)

  return {
    id: `transformers:${name}`,
    dims: EMBEDDING_DIMS,
    async embed(texts, o = {}) {
      const out: number[][] = []
      for (let i = 0; i < texts.length; i += batchSize) {
        o.signal?.throwIfAborted()
        const batch = texts.slice(i, i + batchSize)
        // The tokenizer turns an empty string into [CLS][SEP] only; keep its vector at zero.
        const live = batch.map((t, j) => ({ t: t.trim(), j })).filter((x) => x.t !== '')
        const rows: number[][] = batch.map(() => new Array<number>(EMBEDDING_DIMS).fill(0))
        if (live.length > 0) {
          const res = await extractor(
            live.map((x) => prefix + x.t),
            { pooling: 'mean', normalize: true },
          )
          const list = res.tolist() as number[][]
          live.forEach((x, k) => {
            rows[x.j] = fitDims(
              list[k]!.map((v) => (Number.isFinite(v) ? v : 0)),
              EMBEDDING_DIMS,
              'project',
            )
          })
        }
        out.push(...rows)
      }
      return out
    },
  }
}
