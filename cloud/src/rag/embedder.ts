/**
 * Text embedders. Every embedder yields L2-normalised vectors of {@link EMBEDDING_DIMS}
 * dimensions, the width of `kb_chunks.embedding`. Three implementations:
 *
 * - `lexical` (this file, the default): hashed bag of the matcher's tokens — deterministic,
 *   instant, no model. It finds texts sharing words and character n-grams, nothing more.
 * - `transformers` (embedder-transformers.ts): a local ONNX model through transformers.js.
 * - `openai-compatible` (embedder-openai.ts): any `/embeddings` HTTP endpoint.
 */
import { tokenize } from '@kefu/match'

/** Width of every stored and compared vector. */
export const EMBEDDING_DIMS = 384

/** Turns texts into vectors. */
export interface Embedder {
  /** Names the vector space; stored with each chunk, so only like vectors are compared. */
  readonly id: string
  readonly dims: typeof EMBEDDING_DIMS
  /** One L2-normalised vector per text, in order. An empty text gives a zero vector. */
  embed(texts: readonly string[], opts?: { signal?: AbortSignal }): Promise<number[][]>
}

/** Scales `v` to unit length in place; a zero vector stays zero. */
export function l2normalise(v: number[]): number[] {
  let s = 0
  for (const x of v) s += x * x
  if (s === 0 || !Number.isFinite(s)) return v.fill(0)
  const inv = 1 / Math.sqrt(s)
  for (let i = 0; i < v.length; i++) v[i]! *= inv
  return v
}

/** Whether every component of `v` is zero. */
export function isZeroVector(v: readonly number[]): boolean {
  return v.every((x) => x === 0)
}

/** pgvector's text form: `[0.1,0.2,…]`. */
export function toVectorLiteral(v: readonly number[]): string {
  return `[${v.map((x) => (Number.isFinite(x) ? Math.fround(x) : 0)).join(',')}]`
}

/** 32-bit FNV-1a of a string's UTF-16 units, with a seed. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** A deterministic pseudo-random generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Fits a vector of any width to `dims`: `truncate` keeps the leading components (right for
 * Matryoshka-trained models such as text-embedding-3), `project` multiplies by a fixed seeded
 * random ±1 matrix (preserves cosine similarity approximately, for any model). A shorter
 * vector is zero-padded. The result is normalised.
 */
export function fitDims(
  v: readonly number[],
  dims: number = EMBEDDING_DIMS,
  mode: 'truncate' | 'project' = 'truncate',
): number[] {
  if (v.length === dims) return l2normalise([...v])
  if (v.length < dims) return l2normalise([...v, ...new Array<number>(dims - v.length).fill(0)])
  if (mode === 'truncate') return l2normalise(v.slice(0, dims))
  const signs = projection(v.length, dims)
  const out = new Array<number>(dims).fill(0)
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!
    if (x === 0) continue
    const row = i * dims
    for (let j = 0; j < dims; j++) out[j]! += signs[row + j]! * x
  }
  return l2normalise(out)
}

const projections = new Map<string, Int8Array>()

/** The fixed ±1 matrix (from × to, row-major) used by `fitDims(…, 'project')`. */
function projection(from: number, to: number): Int8Array {
  const key = `${from}x${to}`
  let m = projections.get(key)
  if (!m) {
    const rnd = seededRandom(0x5eed ^ from)
    m = Int8Array.from({ length: from * to }, () => (rnd() < 0.5 ? -1 : 1))
    projections.set(key, m)
  }
  return m
}

/** Options for {@link createLexicalEmbedder}. */
export interface LexicalEmbedderOptions {
  /** Weight of single Han characters relative to words and bigrams; default 0.5. */
  readonly unigramWeight?: number
}

/**
 * The model-free default: every token of `@kefu/match`'s tokeniser is hashed to one of 384
 * dimensions with a hashed sign, weighted by 1 + ln(count), and the sum is normalised. Two
 * texts are close when they share many tokens.
 */
export function createLexicalEmbedder(opts: LexicalEmbedderOptions = {}): Embedder {
  const uw = opts.unigramWeight ?? 0.5
  const embedOne = (text: string): number[] => {
    const counts = new Map<string, number>()
    for (const t of tokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1)
    const v = new Array<number>(EMBEDDING_DIMS).fill(0)
    for (const [t, c] of counts) {
      const h = fnv1a(t)
      const sign = fnv1a(t, 0x9e3779b9) & 1 ? 1 : -1
      const w = ([...t].length === 1 && /\p{Script=Han}/u.test(t) ? uw : 1) * (1 + Math.log(c))
      v[h % EMBEDDING_DIMS]! += sign * w
    }
    return l2normalise(v)
  }
  return {
    id: `lexical-v1-u${uw}`,
    dims: EMBEDDING_DIMS,
    async embed(texts) {
      return texts.map(embedOne)
    },
  }
}
