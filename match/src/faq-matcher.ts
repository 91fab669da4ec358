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
  createTermStats,
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
  readonly faq: F
  readonly score: number
}

/**
 * Where a term occurs, for term-at-a-time scoring: one posting per (entry, field) holding it.
 * Fields of entry i: its surfaces (question, variants) at `surfaceStart[i]…`, its answer, and
 * the whole entry (for BM25).
 */
interface Postings {
  /** Global surface index per surface posting; its count in that surface. */
  readonly surface: Int32Array
  readonly surfaceCount: Int32Array
  /** Entry index per answer posting; its count in the answer. */
  readonly answer: Int32Array
  readonly answerCount: Int32Array
  /** Entry index per whole-entry posting; its count there (BM25 tf). */
  readonly whole: Int32Array
  readonly wholeCount: Int32Array
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
  const kept: { faq: F; surfaces: Bag[]; answer: Bag; whole: Bag }[] = []
  const docs: string[][] = []
  for (const faq of faqs) {
    const texts = [faq.question, ...(faq.variants ?? [])].filter((t) => t.trim() !== '')
    const surfaces = texts.map(tok).filter((t) => t.length > 0)
    if (surfaces.length === 0) continue
    const answer = tok(faq.answer)
    kept.push({
      faq,
      surfaces: surfaces.map(toBag),
      answer: toBag(answer),
      whole: toBag([...surfaces.flat(), ...surfaces.flat(), ...answer]),
    })
    docs.push([...surfaces.flat(), ...answer])
  }
  const stats = createTermStats(docs)
  const n = kept.length
  const avgLength = kept.reduce((s, e) => s + bagSize(e.whole), 0) / Math.max(1, n)

  // Per entry: its first surface's global index, and BM25's length normalisation. Per
  // surface: its total weight (the precision denominator) and its entry.
  const surfaceStart = new Int32Array(n + 1)
  const bm25Norm = new Float64Array(n)
  kept.forEach((e, i) => {
    surfaceStart[i + 1] = surfaceStart[i]! + e.surfaces.length
    bm25Norm[i] = 1 - BM25.b + (BM25.b * bagSize(e.whole)) / Math.max(1, avgLength)
  })
  const surfaceTotal = new Float64Array(surfaceStart[n]!)
  const byTerm = new Map<
    string,
    { s: number[]; sc: number[]; a: number[]; ac: number[]; w: number[]; wc: number[] }
  >()
  const at = (t: string) => {
    let p = byTerm.get(t)
    if (!p) byTerm.set(t, (p = { s: [], sc: [], a: [], ac: [], w: [], wc: [] }))
    return p
  }
  kept.forEach((e, i) => {
    e.surfaces.forEach((bag, j) => {
      const g = surfaceStart[i]! + j
      let total = 0
      for (const [t, c] of bag) {
        total += stats.weight(t) * c
        const p = at(t)
        p.s.push(g)
        p.sc.push(c)
      }
      surfaceTotal[g] = total
    })
    for (const [t, c] of e.answer) {
      const p = at(t)
      p.a.push(i)
      p.ac.push(c)
    }
    for (const [t, c] of e.whole) {
      const p = at(t)
      p.w.push(i)
      p.wc.push(c)
    }
  })
  const postings = new Map<string, Postings>()
  for (const [t, p] of byTerm)
    postings.set(t, {
      surface: Int32Array.from(p.s),
      surfaceCount: Int32Array.from(p.sc),
      answer: Int32Array.from(p.a),
      answerCount: Int32Array.from(p.ac),
      whole: Int32Array.from(p.w),
      wholeCount: Int32Array.from(p.wc),
    })
  const entries = kept.map((e) => e.faq)

  const [ca, cb, cc] = o.calibration
  const confidence = (top: number, next: number) =>
    1 / (1 + Math.exp(-(ca * top + cb * (top - next) + cc)))

  // Accumulators, reused by every query (scoring is synchronous).
  const surfaceShared = new Float64Array(surfaceTotal.length)
  const answerShared = new Float64Array(n)
  const bm25Sum = new Float64Array(n)
  const touched = new Uint8Array(n)
  const b2 = o.beta * o.beta

  /**
   * Term at a time: walk each query term's postings once, accumulating the shared weight per
   * surface and per answer and the BM25 sum per entry; then score only the entries touched.
   * Same sums in the same order as `overlap`/`bm25Normalised` over each bag.
   */
  function scored(query: string): Scored<F>[] {
    const q = toBag(tok(query))
    let qTotal = 0
    let bm25Total = 0
    const list: number[] = []
    for (const [t, c] of q) {
      const w = stats.weight(t)
      qTotal += w * c
      bm25Total += w
      const p = postings.get(t)
      if (!p) continue
      for (let k = 0; k < p.surface.length; k++)
        surfaceShared[p.surface[k]!]! += w * Math.min(c, p.surfaceCount[k]!)
      for (let k = 0; k < p.answer.length; k++)
        answerShared[p.answer[k]!]! += w * Math.min(c, p.answerCount[k]!)
      for (let k = 0; k < p.whole.length; k++) {
        const i = p.whole[k]!
        const tf = p.wholeCount[k]!
        bm25Sum[i]! += (w * tf * (BM25.k1 + 1)) / (tf + BM25.k1 * bm25Norm[i]!)
        if (touched[i] === 0) {
          touched[i] = 1
          list.push(i)
        }
      }
    }
    const out: Scored<F>[] = []
    for (const i of list) {
      let best = 0
      for (let g = surfaceStart[i]!; g < surfaceStart[i + 1]!; g++) {
        const shared = surfaceShared[g]!
        surfaceShared[g] = 0
        if (shared === 0) continue
        const recall = qTotal > 0 ? shared / qTotal : 0
        const precision = surfaceTotal[g]! > 0 ? shared / surfaceTotal[g]! : 0
        best = Math.max(best, ((1 + b2) * precision * recall) / (b2 * precision + recall))
      }
      const score =
        best +
        o.answerWeight * (qTotal > 0 ? answerShared[i]! / qTotal : 0) +
        // BM25 normalised by the query's weight tops out at k1 + 1; scaled to 0..1 here.
        (o.bm25Weight * (bm25Total > 0 ? bm25Sum[i]! / bm25Total : 0)) / (BM25.k1 + 1)
      answerShared[i] = 0
      bm25Sum[i] = 0
      touched[i] = 0
      if (score > 0) out.push({ faq: entries[i]!, score })
    }
    return out.sort((a, b) => b.score - a.score || a.faq.id.localeCompare(b.faq.id))
  }

  function rank(query: string, k = 10): FaqMatch<F>[] {
    const all = scored(query)
    return all.slice(0, k).map((r, i) => ({
      faq: r.faq,
      score: r.score,
      // Each entry's rival is the best other entry: the runner-up for the top, the top for
      // the rest.
      confidence: confidence(r.score, i === 0 ? (all[1]?.score ?? 0) : all[0]!.score),
    }))
  }

  return {
    size: n,
    stats,
    rank,
    match(query) {
      const [top] = rank(query, 2)
      return top !== undefined && top.confidence >= o.minConfidence ? top : null
    },
  }
}
