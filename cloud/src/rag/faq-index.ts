/**
 * Brings the FAQ's chunks up to date with the `faq` table. The console edits FAQ rows directly;
 * this rebuilds the chunk of every entry whose question, variants or answer (or the embedder)
 * changed since its chunk was built, and of every entry that has none. Deleted entries lose
 * their chunks by cascade. Run it after console edits, or periodically; when nothing changed
 * it reads one query's worth of hashes and writes nothing.
 */
import { silentLogger } from '../logger.ts'
import type { ImportOptions } from './kb-import.ts'
import {
  buildChunkRows,
  chunkHash,
  deleteFaqChunks,
  faqChunkContent,
  insertChunks,
} from './kb-chunks.ts'

/** Result of {@link reindexFaqChunks}. */
export interface ReindexResult {
  /** Entries whose chunk was rebuilt. */
  readonly rebuilt: number
  /** Entries looked at. */
  readonly checked: number
}

/** Rebuilds stale or missing FAQ chunks, in batches; `onProgress` counts stale entries. */
export async function reindexFaqChunks(opts: ImportOptions): Promise<ReindexResult> {
  const { db, embedder } = opts
  const log = (opts.logger ?? silentLogger()).child({ component: 'faq-index' })
  const rows = await db.query<{
    id: string
    question: string
    answer: string
    variants: string[]
    hashes: (string | null)[]
  }>(
    `SELECT f.id, f.question, f.answer, f.variants,
       array_agg(c.source_hash ORDER BY c.id) AS hashes
     FROM faq f LEFT JOIN kb_chunks c ON c.faq_id = f.id
     GROUP BY f.id ORDER BY f.id`,
  )
  const stale = rows.flatMap((r) => {
    const content = faqChunkContent(r)
    const hash = chunkHash(content, embedder.id)
    return r.hashes.length === 1 && r.hashes[0] === hash ? [] : [{ faqId: r.id, content, hash }]
  })
  const batchSize = Math.max(1, opts.batchSize ?? 100)
  opts.onProgress?.({ done: 0, total: stale.length })
  for (let b = 0; b < stale.length; b += batchSize) {
    opts.signal?.throwIfAborted()
    const batch = stale.slice(b, b + batchSize)
    const chunks = await buildChunkRows(
      embedder,
      batch.map((s) => ({ owner: { faqId: s.faqId }, content: s.content, hash: s.hash })),
      opts.signal,
    )
    await db.transaction(async (tx) => {
      await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [opts.origin ?? 'cloud'])
      await deleteFaqChunks(
        tx,
        batch.map((s) => s.faqId),
      )
      await insertChunks(tx, chunks)
    })
    opts.onProgress?.({ done: Math.min(stale.length, b + batchSize), total: stale.length })
  }
  if (stale.length > 0) log.info({ rebuilt: stale.length }, 'faq chunks rebuilt')
  return { rebuilt: stale.length, checked: rows.length }
}
