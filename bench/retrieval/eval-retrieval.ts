/**
 * Retrieval evaluation on a Chinese FAQ dataset. Imports the FAQ into a fresh in-memory PGlite
 * (migrated like the cloud), runs every query through the retriever the reply worker uses,
 * and scores where the query's FAQ entry lands among the hits:
 *
 * - hit@1, hit@5: share of queries whose entry is the first hit / among the first five;
 * - mrr: mean reciprocal rank over the first ten hits (0 when absent);
 * - p50_ms, p95_ms: search latency.
 *
 * Files are JSONL: FAQ `{"id","question","answer","variants"?}`, queries `{"query","faq_id"}`.
 */
import { readFileSync } from 'node:fs'
import { openPglite, migrate } from '@kefu/migrations'
import { createLexicalEmbedder, type Embedder } from '../../cloud/src/rag/embedder.ts'
import { createTransformersEmbedder } from '../../cloud/src/rag/embedder-transformers.ts'
import { importFaqFile } from '../../cloud/src/rag/kb-import.ts'
import { createRetriever, type RetrieverOptions } from '../../cloud/src/rag/search.ts'

/** What to evaluate. */
export interface EvalRetrievalOptions {
  readonly faqPath: string
  readonly queriesPath: string
  /** Default `lexical`. */
  readonly embedder?: 'lexical' | 'transformers'
  /** Model folder for `transformers`; default `models/tiny-zh`. */
  readonly modelDir?: string
  /** Evaluate only these query indexes (e.g. a subset for a quick test). */
  readonly select?: (index: number) => boolean
  /** Retriever tuning to compare variants. */
  readonly retriever?: Omit<RetrieverOptions, 'db' | 'embedder'>
}

/** Evaluation figures. */
export interface EvalRetrievalResult {
  readonly n: number
  readonly hit_at_1: number
  readonly hit_at_5: number
  readonly mrr: number
  readonly p50_ms: number
  readonly p95_ms: number
}

/** Per-query outcome, for inspecting misses. */
export interface EvalQueryOutcome {
  readonly query: string
  readonly faqId: string
  /** 1-based rank of the expected entry among the first ten hits, or null. */
  readonly rank: number | null
  /** Dataset ids of the first five hits. */
  readonly top: readonly string[]
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T)

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d

/** Runs the evaluation; see the module comment. */
export async function evalRetrieval(opts: EvalRetrievalOptions): Promise<EvalRetrievalResult> {
  return (await evalRetrievalDetailed(opts)).result
}

/** {@link evalRetrieval} plus every query's outcome. */
export async function evalRetrievalDetailed(
  opts: EvalRetrievalOptions,
): Promise<{ result: EvalRetrievalResult; outcomes: EvalQueryOutcome[] }> {
  const embedder: Embedder =
    opts.embedder === 'transformers'
      ? await createTransformersEmbedder({ modelDir: opts.modelDir ?? 'models/tiny-zh' })
      : createLexicalEmbedder()
  const db = await openPglite()
  try {
    await migrate(db, 'cloud')
    const imported = await importFaqFile(readFileSync(opts.faqPath, 'utf8'), 'jsonl', {
      db,
      embedder,
    })
    const datasetId = new Map(imported.entries.map((e) => [e.id, e.key ?? e.id]))
    const retriever = createRetriever({ ...opts.retriever, db, embedder })
    await retriever.refresh()
    const queries = readJsonl<{ query: string; faq_id: string }>(opts.queriesPath).filter(
      (_, i) => opts.select?.(i) ?? true,
    )
    const outcomes: EvalQueryOutcome[] = []
    const times: number[] = []
    for (const q of queries) {
      const t0 = performance.now()
      const hits = await retriever.search(q.query, { k: 10 })
      times.push(performance.now() - t0)
      const ranked = [
        ...new Set(hits.flatMap((h) => (h.faqId ? [datasetId.get(h.faqId) ?? h.faqId] : []))),
      ]
      const pos = ranked.indexOf(q.faq_id)
      outcomes.push({
        query: q.query,
        faqId: q.faq_id,
        rank: pos < 0 ? null : pos + 1,
        top: ranked.slice(0, 5),
      })
    }
    const n = outcomes.length
    const share = (f: (o: EvalQueryOutcome) => boolean) =>
      n === 0 ? 0 : round(outcomes.filter(f).length / n)
    times.sort((a, b) => a - b)
    return {
      outcomes,
      result: {
        n,
        hit_at_1: share((o) => o.rank === 1),
        hit_at_5: share((o) => o.rank !== null && o.rank <= 5),
        mrr: n === 0 ? 0 : round(outcomes.reduce((s, o) => s + (o.rank ? 1 / o.rank : 0), 0) / n),
        p50_ms: round(percentile(times, 0.5), 2),
        p95_ms: round(percentile(times, 0.95), 2),
      },
    }
  } finally {
    await db.close()
  }
}
