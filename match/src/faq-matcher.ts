/**
 * The FAQ matcher: ranks curated FAQ entries against a customer's message and says how sure
 * it is. The cloud runs it as the fast path and as the reranker's lexical scorer; the agent
 * runs it offline over its replicated FAQ. Pure TypeScript, no I/O.
 *
 * Score of an entry = best recall-weighted F-measure of the query against its question or
 * any variant (IDF-weighted token overlap) + a share of the query found in the answer + BM25
 * of the query over the whole entry (questions counted twice, answer once). The first rewards
 * a question that says what the customer said and little else; BM25 rewards rare words
 * wherever the entry holds them.
 *
 * Confidence = logistic of that score and of its margin over the runner-up, so a confident
 * answer needs both a close match and no close rival.
 */
import {
  BM25,
  bagSize,
  bm25Normalised,
  createTermStats,
  fScore,
  overlap,
  toBag,
  type Bag,
  type TermStats,
} from './term-stats.ts'
import { tokenize, type TokenizeOptions } from './tokenize.ts'

/** An FAQ entry as the matcher needs it; extra fields ride along untouched. */
export interface FaqEntry {
  readonly id: string
  readonly question: string
  readonly answer: string
  readonly variants?: readonly string[] | undefined
}

/** One ranked entry. */
export interface FaqMatch<F extends FaqEntry = FaqEntry> {
  readonly faq: F
  /** Lexical score, 0..{@link maxFaqScore}; comparable across queries only roughly. */
  readonly score: number
  /** Calibrated probability (0..1) that this entry answers the query. */
  readonly confidence: number
}

/** Confidence at or above which a curated answer may be sent as is. */
export const SEND_AS_IS_CONFIDENCE = 0.75

/** Matcher tuning; the defaults were fitted on the bench dataset's development half. */
export interface FaqMatcherOptions {
  /** `match()` returns null below this confidence; default {@link SEND_AS_IS_CONFIDENCE}. */
  readonly minConfidence?: number
  /** Weight of the query's recall in the answer text; default 0.2. */
  readonly answerWeight?: number
  /** Weight of BM25 over the whole entry (scaled to 0..1); default 2. */
  readonly bm25Weight?: number
  /** F-measure beta for question/variant overlap; default 2 (recall counts 4× precision). */
  readonly beta?: number
  /**
   * Logistic coefficients of confidence: [score, margin over the runner-up, bias]. Fitted on
   * the development half of bench/data (plus out-of-scope negatives, weighted 3×); on the
   * held-out half, matches at ≥ 0.75 were right 88% of the time (≥ 0.9: 94%).
   */
  readonly calibration?: readonly [number, number, number]
  readonly tokenize?: TokenizeOptions
}

/** Defaults of {@link FaqMatcherOptions}. */
export const defaultFaqMatcherOptions = {
  minConfidence: SEND_AS_IS_CONFIDENCE,
  answerWeight: 0.2,
  bm25Weight: 2,
  beta: 2,
  calibration: [1.5, 4.4, -2] as readonly [number, number, number],
} as const

/** Ranks FAQ entries for a query. */
export interface FaqMatcher<F extends FaqEntry = FaqEntry> {
  /** Number of entries indexed. */
  readonly size: number
  /** Term weights over the indexed entries (the reranker reuses them). */
  readonly stats: TermStats
  /** The best entry if its confidence reaches `minConfidence`, else null. */
  match(query: string): FaqMatch<F> | null
  /** The top `k` entries with any overlap, best first; confidence reflects the runner-up. */
  rank(query: string, k?: number): FaqMatch<F>[]
}

interface Scored<F> {
  readonly e: Indexed<F>
  readonly score: number
}

interface Indexed<F> {
  readonly faq: F
  readonly surfaces: readonly Bag[]
  readonly answer: Bag
  /** Questions twice and the answer once, for BM25. */
  readonly whole: Bag
  readonly wholeLength: number
}

/** Upper bound of {@link FaqMatch.score} under the given options (to scale it to 0..1). */
export function maxFaqScore(opts: FaqMatcherOptions = {}): number {
  const o = { ...defaultFaqMatcherOptions, ...opts }
  return 1 + o.answerWeight + o.bm25Weight
}

/** Indexes `faqs` (entries with an empty question are skipped). */
export function createFaqMatcher<F extends FaqEntry>(
  faqs: readonly F[],
  opts: FaqMatcherOptions = {},
): FaqMatcher<F> {
  const o = { ...defaultFaqMatcherOptions, ...opts }
  const tok = (s: string) => tokenize(s, o.tokenize)
  const entries: Indexed<F>[] = []
  const docs: string[][] = []
  for (const faq of faqs) {
    const texts = [faq.question, ...(faq.variants ?? [])].filter((t) => t.trim() !== '')
    const surfaces = texts.map(tok).filter((t) => t.length > 0)
    if (surfaces.length === 0) continue
    const answer = tok(faq.answer)
    const whole = toBag([...surfaces.flat(), ...surfaces.flat(), ...answer])
    entries.push({
      faq,
      surfaces: surfaces.map(toBag),
      answer: toBag(answer),
      whole,
      wholeLength: bagSize(whole),
    })
    docs.push([...surfaces.flat(), ...answer])
  }
  const stats = createTermStats(docs)
  const avgLength = entries.reduce((s, e) => s + e.wholeLength, 0) / Math.max(1, entries.length)
  const postings = new Map<string, number[]>()
  entries.forEach((e, i) => {
    const terms = new Set([...e.surfaces.flatMap((s) => [...s.keys()]), ...e.answer.keys()])
    for (const t of terms) {
      const p = postings.get(t)
      if (p) p.push(i)
      else postings.set(t, [i])
    }
  })

  const [ca, cb, cc] = o.calibration
  const confidence = (top: number, next: number) =>
    1 / (1 + Math.exp(-(ca * top + cb * (top - next) + cc)))

  function scored(query: string): Scored<F>[] {
    const q = toBag(tok(query))
    const candidates = new Set<number>()
    for (const t of q.keys()) for (const i of postings.get(t) ?? []) candidates.add(i)
    const out: Scored<F>[] = []
    for (const i of candidates) {
      const e = entries[i]!
      let best = 0
      for (const s of e.surfaces) best = Math.max(best, fScore(overlap(q, s, stats), o.beta))
      const score =
        best +
        o.answerWeight * overlap(q, e.answer, stats).recall +
        // bm25Normalised tops out at k1 + 1; scaled to 0..1 here.
        (o.bm25Weight * bm25Normalised(q, e.whole, e.wholeLength, avgLength, stats)) / (BM25.k1 + 1)
      if (score > 0) out.push({ e, score })
    }
    return out.sort((a, b) => b.score - a.score || a.e.faq.id.localeCompare(b.e.faq.id))
  }

  function rank(query: string, k = 10): FaqMatch<F>[] {
    const all = scored(query)
    return all.slice(0, k).map((r, i) => ({
      faq: r.e.faq,
      score: r.score,
      // Each entry's rival is the best other entry: the runner-up for the top, the top for
      // the rest.
      confidence: confidence(r.score, i === 0 ? (all[1]?.score ?? 0) : all[0]!.score),
    }))
  }

  return {
    size: entries.length,
    stats,
    rank,
    match(query) {
      const [top] = rank(query, 2)
      return top !== undefined && top.confidence >= o.minConfidence ? top : null
    },
  }
}
