/**
 * Hybrid retrieval over `kb_chunks`, the same on Postgres and PGlite:
 *
 *   query ─┬─ tokens ─ tsvector @@ (t1 | t2 | …), ts_rank ───── top 50 ─┐
 *          ├─ embed ── ORDER BY embedding <=> q (HNSW) ────────── top 40 ─┼─ RRF (k=60)
 *          └─ in-memory FAQ matcher (IDF, all published entries) ─ top 20 ─┘
 *     ─ top 30 ─ rerank: lexical similarity (FAQ matcher / IDF overlap) ⊕ fused rank ⊕ cosine
 *
 * Unpublished FAQ entries are never returned. Vector search compares only chunks embedded by
 * the retriever's own embedder. The HNSW index yields at most `hnsw.ef_search` (40 by
 * default) rows per scan, hence the vector limit of 40.
 *
 * `faqFastPath` answers from the in-memory FAQ matcher alone, for curated answers that can be
 * sent as is.
 */
import type { Logger } from 'pino'
import {
  overlap,
  toBag,
  tokenize,
  maxFaqScore,
  SEND_AS_IS_CONFIDENCE,
  type FaqMatch,
  type FaqMatcher,
  type FaqMatcherOptions,
} from '@kefu/match'
import type { Queryable } from '@kefu/migrations'
import { silentLogger } from '../logger.ts'
import { isZeroVector, toVectorLiteral, type Embedder } from './embedder.ts'
import { createFaqCache, type PublishedFaq } from './faq-cache.ts'
import { blend, maxFusedScore, reciprocalRankFusion, RRF_K, type BlendWeights } from './fusion.ts'

/** Which retrieval arm found a hit, at what rank (from 1) and with what raw score. */
export interface SearchSource {
  readonly arm: 'lexical' | 'vector' | 'faq'
  readonly rank: number
  /** ts_rank for lexical, cosine similarity for vector, the matcher's score for faq. */
  readonly score: number
}

/** One retrieved chunk. */
export interface SearchHit {
  readonly chunkId: string
  readonly faqId?: string
  readonly documentId?: string
  readonly text: string
  /** Final score, 0..1, best first. */
  readonly score: number
  readonly sources: readonly SearchSource[]
}

/** Retriever tuning and dependencies. */
export interface RetrieverOptions {
  readonly db: Queryable
  readonly embedder: Embedder
  readonly logger?: Logger
  /** Rows taken from lexical search; default 50. */
  readonly lexicalLimit?: number
  /** Rows taken from vector search; default 40 (pgvector's default ef_search). */
  readonly vectorLimit?: number
  /** Entries taken from the in-memory FAQ matcher; default 20 (0 turns the arm off). */
  readonly faqLimit?: number
  readonly rrfK?: number
  /** Fused candidates that are reranked; default 30. */
  readonly rerankDepth?: number
  readonly weights?: BlendWeights
  /** FAQ matcher: options, staleness window, and the fast path's confidence threshold. */
  readonly faq?: {
    readonly matcher?: FaqMatcherOptions
    readonly checkEveryMs?: number
    readonly minConfidence?: number
  }
  readonly now?: () => number
  /** Observes each search's duration in seconds (e.g. the rag_search_duration histogram). */
  readonly searchDuration?: { observe(seconds: number): void }
}

/** Defaults of {@link RetrieverOptions}. */
export const defaultRetrieverOptions = {
  lexicalLimit: 50,
  vectorLimit: 40,
  faqLimit: 20,
  rrfK: RRF_K,
  rerankDepth: 30,
  // Fitted on the bench dataset's development half: the reranker's lexical similarity carries
  // most of the signal; fused rank chooses what is reranked and breaks ties; the vector
  // similarity adds what a real model knows beyond shared characters.
  weights: { rerank: 1, fusion: 0.05, vector: 0.1 } as BlendWeights,
} as const

/** Hybrid search plus the FAQ fast path. */
export interface Retriever {
  /** The `k` best chunks for `query` (default 5). */
  search(query: string, opts?: { k?: number }): Promise<SearchHit[]>
  /** The published FAQ entry to send as is, if one matches with enough confidence. */
  faqFastPath(query: string): Promise<FaqMatch<PublishedFaq> | null>
  /** Reloads the in-memory FAQ now (after an import, say). */
  refresh(): Promise<void>
}

interface Row {
  id: string
  faq_id: string | null
  document_id: string | null
  text: string
  score: number
}

// Tokens are letters and digits only (see @kefu/match), so quoting them is enough.
const toTsQuery = (terms: readonly string[]) => terms.map((t) => `'${t}'`).join(' | ')

const DOC_RECALL_SCALE = 0.8

const PUBLISHED = `(c.faq_id IS NULL OR EXISTS
  (SELECT 1 FROM faq f WHERE f.id = c.faq_id AND f.published))`

/** Creates a retriever over `db`. */
export function createRetriever(opts: RetrieverOptions): Retriever {
  const o = { ...defaultRetrieverOptions, ...opts }
  const { db, embedder } = o
  const now = o.now ?? (() => performance.now())
  const log = (o.logger ?? silentLogger()).child({ component: 'retriever' })
  const faqs = createFaqCache({
    db,
    ...(o.faq?.matcher ? { matcher: o.faq.matcher } : {}),
    ...(o.faq?.checkEveryMs === undefined ? {} : { checkEveryMs: o.faq.checkEveryMs }),
    ...(o.now ? { now: o.now } : {}),
    logger: log,
  })
  const faqScale = maxFaqScore(o.faq?.matcher ?? {})

  // The worker asks the fast path and then, on a miss, searches the same query: rank it once.
  // Keyed by matcher too, so a reloaded FAQ is ranked afresh.
  const RANKED_KEEP = 64
  let rankedOf: {
    matcher: FaqMatcher<PublishedFaq>
    byQuery: Map<string, FaqMatch<PublishedFaq>[]>
  } | null = null
  async function ranked(
    query: string,
  ): Promise<{ matcher: FaqMatcher<PublishedFaq>; ranked: FaqMatch<PublishedFaq>[] }> {
    const matcher = await faqs.get()
    if (rankedOf?.matcher !== matcher) rankedOf = { matcher, byQuery: new Map() }
    const cache = rankedOf.byQuery
    let r = cache.get(query)
    if (r === undefined) {
      r = matcher.rank(query, Infinity)
      if (cache.size >= RANKED_KEEP) cache.delete(cache.keys().next().value!)
      cache.set(query, r)
    }
    return { matcher, ranked: r }
  }

  /**
   * The three arms in one statement (one round trip): lexical, vector and the chunks of the
   * matcher's best FAQ entries, each tagged and numbered in its own order.
   */
  async function arms(
    query: string,
    ranked: readonly { faq: PublishedFaq; score: number }[],
  ): Promise<{ lexical: Row[]; vector: Row[]; faq: Row[] }> {
    const params: unknown[] = []
    const arg = (v: unknown) => `$${params.push(v)}`
    const parts: string[] = []
    const terms = [...new Set(tokenize(query, { unigrams: false }))]
    if (terms.length > 0)
      parts.push(`(SELECT 'lexical' AS arm, c.id, c.faq_id, c.document_id, c.text,
                          ts_rank(c.tsv, q)::float8 AS score
                     FROM kb_chunks c, to_tsquery('simple', ${arg(toTsQuery(terms))}) q
                    WHERE c.tsv @@ q AND ${PUBLISHED}
                    ORDER BY score DESC, c.id LIMIT ${arg(o.lexicalLimit)})`)
    const [v] = await embedder.embed([query])
    if (v && !isZeroVector(v)) {
      const vec = arg(toVectorLiteral(v))
      parts.push(`(SELECT 'vector' AS arm, c.id, c.faq_id, c.document_id, c.text,
                          (1 - (c.embedding <=> ${vec}::vector))::float8 AS score
                     FROM kb_chunks c
                    WHERE c.embedding IS NOT NULL AND c.embedder = ${arg(embedder.id)} AND ${PUBLISHED}
                    ORDER BY c.embedding <=> ${vec}::vector LIMIT ${arg(o.vectorLimit)})`)
    }
    const top = ranked.slice(0, o.faqLimit)
    if (top.length > 0)
      parts.push(`(SELECT 'faq' AS arm, c.id, c.faq_id, c.document_id, c.text, 0::float8 AS score
                     FROM kb_chunks c
                    WHERE c.faq_id = ANY(${arg(top.map((m) => m.faq.id))}::uuid[]) AND ${PUBLISHED})`)
    const out = { lexical: [] as Row[], vector: [] as Row[], faq: [] as Row[] }
    if (parts.length === 0) return out
    const rows = await db.query<
      Row & { arm: 'lexical' | 'vector' | 'faq' } & Record<string, unknown>
    >(parts.join(' UNION ALL '), params)
    for (const r of rows) out[r.arm].push(r)
    // A UNION does not promise to keep each arm's order: restore it (best first, then id).
    const byScore = (a: Row, b: Row) =>
      b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    out.lexical.sort(byScore)
    out.vector.sort(byScore)
    // The FAQ arm in the matcher's order, scored by the matcher.
    const byFaq = new Map(out.faq.map((r) => [r.faq_id, r]))
    out.faq = top.flatMap((m) => {
      const r = byFaq.get(m.faq.id)
      return r ? [{ ...r, score: m.score }] : []
    })
    return out
  }

  async function search(query: string, so: { k?: number } = {}): Promise<SearchHit[]> {
    const started = now()
    const k = so.k ?? 5
    const { matcher, ranked: faqRanked } = await ranked(query)
    const { lexical: lex, vector: vec, faq: fq } = await arms(query, faqRanked)
    const lists = [lex, vec, fq].filter((l) => l.length > 0)
    const rows = new Map<string, Row>()
    const sources = new Map<string, SearchSource[]>()
    for (const [arm, list] of [
      ['lexical', lex],
      ['vector', vec],
      ['faq', fq],
    ] as const)
      list.forEach((r, i) => {
        rows.set(r.id, r)
        const s = sources.get(r.id) ?? []
        s.push({ arm, rank: i + 1, score: Number(r.score) })
        sources.set(r.id, s)
      })
    const fused = reciprocalRankFusion(
      lists.map((l) => l.map((r) => r.id)),
      o.rrfK,
    ).slice(0, o.rerankDepth)
    const best = maxFusedScore(Math.max(1, lists.length), o.rrfK)

    // Rerank: an FAQ chunk scores what the FAQ matcher gives its entry (question, variants
    // and answer, IDF-weighted), scaled to 0..1. A document chunk scores the share of the
    // query's weight it holds — recall, not an F-measure, since a 400-character chunk is never
    // as precise as a question — discounted so that a chunk merely containing every query word
    // ranks below an FAQ entry asked in the same words.
    const faqScore = new Map(faqRanked.map((m) => [m.faq.id, m.score]))
    const q = toBag(tokenize(query))
    const hits = fused.map(({ id, score }): SearchHit => {
      const r = rows.get(id)!
      const sim = r.faq_id
        ? (faqScore.get(r.faq_id) ?? 0) / faqScale
        : DOC_RECALL_SCALE * overlap(q, toBag(tokenize(r.text)), matcher.stats).recall
      return {
        chunkId: r.id,
        ...(r.faq_id ? { faqId: r.faq_id } : {}),
        ...(r.document_id ? { documentId: r.document_id } : {}),
        text: r.text,
        score: blend(
          o.weights,
          sim,
          score / best,
          sources.get(id)!.find((x) => x.arm === 'vector')?.score ?? 0,
        ),
        sources: sources.get(id)!,
      }
    })
    hits.sort((a, b) => b.score - a.score || a.chunkId.localeCompare(b.chunkId))
    const out = hits.slice(0, k)
    const seconds = (now() - started) / 1000
    o.searchDuration?.observe(seconds)
    log.debug(
      { query, lexical: lex.length, vector: vec.length, hits: out.length, ms: seconds * 1000 },
      'search',
    )
    return out
  }

  return {
    search,
    async faqFastPath(query) {
      const top = (await ranked(query)).ranked[0]
      const min = o.faq?.minConfidence ?? SEND_AS_IS_CONFIDENCE
      return top !== undefined && top.confidence >= min ? top : null
    },
    refresh: () => faqs.refresh(),
  }
}
