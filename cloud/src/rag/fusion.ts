/**
 * Reciprocal-rank fusion and the final blend of the reranker's lexical similarity, the fused
 * rank and the vector similarity. Pure functions.
 */

/** Default RRF constant (Cormack et al., 2009). */
export const RRF_K = 60

/**
 * Fuses ranked id lists: each id scores Σ 1 / (k + rank) over the lists it appears in
 * (rank from 1). Returns ids by descending score (ties by first appearance).
 */
export function reciprocalRankFusion(
  lists: readonly (readonly string[])[],
  k: number = RRF_K,
): { id: string; score: number }[] {
  const scores = new Map<string, number>()
  for (const list of lists)
    list.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1)))
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score)
}

/** The best possible fused score with `lists` lists: first in every one. */
export function maxFusedScore(lists: number, k: number = RRF_K): number {
  return lists / (k + 1)
}

/** How the final score weighs its parts. */
export interface BlendWeights {
  /** Lexical similarity from the reranker (0..1). */
  readonly rerank: number
  /** Fused rank, scaled to 0..1 by the best possible fused score. */
  readonly fusion: number
  /** Cosine similarity to the query (0 when the vector arm did not return the chunk). */
  readonly vector: number
}

/** Final score of a candidate: the weighted mean of its parts (each 0..1), so also 0..1. */
export function blend(w: BlendWeights, rerank: number, fusedNorm: number, cosine: number): number {
  const total = w.rerank + w.fusion + w.vector
  if (total <= 0) return 0
  return (w.rerank * rerank + w.fusion * fusedNorm + w.vector * Math.max(0, cosine)) / total
}
