/**
 * Term weighting and weighted bag overlap — the scoring primitives shared by the FAQ matcher
 * and the cloud's reranker.
 *
 * A term's weight is its BM25 inverse document frequency times a kind factor: a single Han
 * character says little on its own (退 is in half the FAQ), so it counts for a fraction of
 * a word or bigram, and so does a question frame (怎么办, 可以, 有没有). Overlap is a weighted multiset intersection; because tokenising emits a
 * two-character dictionary word both as a word and as a bigram, a match on a real word counts
 * twice as much as a match on a bigram that straddles two words.
 */
import { isHan } from './normalise.ts'

/** A token bag: token → count. */
export type Bag = ReadonlyMap<string, number>

/** Builds a bag from a token list. */
export function toBag(tokens: readonly string[]): Map<string, number> {
  const bag = new Map<string, number>()
  for (const t of tokens) bag.set(t, (bag.get(t) ?? 0) + 1)
  return bag
}

/** Document frequencies over a corpus; gives each term its weight. */
export interface TermStats {
  /** Number of documents counted. */
  readonly docs: number
  /** Weight of `term`: BM25 idf × kind factor; unseen terms get the weight of a df-1 term. */
  weight(term: string): number
}

/** Weight factor of a single Han character relative to a word or bigram. */
export const UNIGRAM_FACTOR = 0.5

/** Counts document frequencies over `docs` (each a token list). */
export function createTermStats(docs: Iterable<readonly string[]>): TermStats {
  const df = new Map<string, number>()
  let n = 0
  for (const d of docs) {
    n++
    for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1)
  }
  const idf = (f: number) => Math.log(1 + (n - f + 0.5) / (f + 0.5))
  // A term no document holds cannot tell documents apart, but it still is part of what the
  // customer asked: count it like the rarest known term so it lowers coverage without
  // outweighing real evidence.
  const unseen = idf(Math.min(1, n))
  const cache = new Map<string, number>()
  return {
    docs: n,
    weight(term) {
      let w = cache.get(term)
      if (w === undefined) {
        const f = df.get(term)
        w = (f === undefined ? unseen : idf(f)) * kindFactor(term)
        cache.set(term, w)
      }
      return w
    },
  }
}

// prettier-ignore
/**
 * Question frames: interrogatives, modals and pronouns say what kind of question it is, not
 * what it is about. "扣了两遍款 怎么办" must not match "银饰发黑了怎么办" on 怎么办. They keep
 * a fraction of their weight (么办 is the bigram 怎么办 leaves behind).
 */
export const FRAME_WORDS: ReadonlySet<string> = new Set([
  '怎么', '怎么办', '么办', '怎样', '如何', '什么', '为什么', '为啥', '可以', '能不能', '不能',
  '能否', '是否', '有没有', '没有', '哪里', '在哪', '是不是', '会不会', '要不要', '需要', '我的',
  '你们', '我们',
])

/** Weight factor of a {@link FRAME_WORDS} term. */
export const FRAME_FACTOR = 0.4

function kindFactor(term: string): number {
  if (FRAME_WORDS.has(term)) return FRAME_FACTOR
  return term.length === 1 && isHan(term) ? UNIGRAM_FACTOR : 1
}

/** How two bags overlap, weighted. */
export interface Overlap {
  /** Weight of the shared part. */
  readonly shared: number
  /** Share of the query's weight that the document holds (0..1). */
  readonly recall: number
  /** Share of the document's weight that the query holds (0..1). */
  readonly precision: number
}

/** Weighted multiset overlap of `query` with `doc`. */
export function overlap(query: Bag, doc: Bag, stats: TermStats): Overlap {
  let shared = 0
  let qTotal = 0
  for (const [t, c] of query) {
    const w = stats.weight(t)
    qTotal += w * c
    const d = doc.get(t)
    if (d !== undefined) shared += w * Math.min(c, d)
  }
  let dTotal = 0
  for (const [t, c] of doc) dTotal += stats.weight(t) * c
  return {
    shared,
    recall: qTotal > 0 ? shared / qTotal : 0,
    precision: dTotal > 0 ? shared / dTotal : 0,
  }
}

/** F-measure of an overlap; `beta` > 1 favours recall (the query being fully explained). */
export function fScore(o: Overlap, beta = 2): number {
  if (o.shared === 0) return 0
  const b2 = beta * beta
  return ((1 + b2) * o.precision * o.recall) / (b2 * o.precision + o.recall)
}

/** BM25 saturation and length normalisation. */
export const BM25 = { k1: 1.2, b: 0.75 } as const

/**
 * BM25 of `query` against `doc`, divided by the query's total term weight so it falls in
 * 0..(k1 + 1): 1 means every query term occurs once in a document of average length.
 */
export function bm25Normalised(
  query: Bag,
  doc: Bag,
  docLength: number,
  avgLength: number,
  stats: TermStats,
): number {
  let sum = 0
  let total = 0
  const norm = 1 - BM25.b + (BM25.b * docLength) / Math.max(1, avgLength)
  for (const t of query.keys()) {
    const w = stats.weight(t)
    total += w
    const tf = doc.get(t)
    if (tf !== undefined) sum += (w * tf * (BM25.k1 + 1)) / (tf + BM25.k1 * norm)
  }
  return total > 0 ? sum / total : 0
}

/** Number of tokens in a bag. */
export function bagSize(bag: Bag): number {
  let n = 0
  for (const c of bag.values()) n += c
  return n
}
