/**
 * Imports FAQ entries into `faq` + `kb_chunks`, in batches, idempotently: an entry whose
 * question (normalised: punctuation, width and case aside) already exists is updated, not
 * duplicated, and an entry whose content and chunk are already current is not written at all
 * — importing the same file twice writes nothing the second time.
 *
 * Embeddings are computed before each batch's transaction (a remote embedder must not hold a
 * transaction open); each batch commits on its own, tagged with its origin for the sync log.
 */
import type { Logger } from 'pino'
import { normalise } from '@kefu/match'
import { newId } from '@kefu/schema'
import type { Db } from '@kefu/migrations'
import { silentLogger } from '../logger.ts'
import type { Embedder } from './embedder.ts'
import { parseFaqFile, type FaqFileFormat, type FaqFileIssue, type FaqInput } from './faq-file.ts'
import {
  buildChunkRows,
  chunkHash,
  deleteFaqChunks,
  faqChunkContent,
  insertChunks,
} from './kb-chunks.ts'

/** Progress after each batch. */
export interface ImportProgress {
  readonly done: number
  readonly total: number
}

/** Options shared by the importers. */
export interface ImportOptions {
  readonly db: Db
  readonly embedder: Embedder
  /** Entries per batch (one embedding call and one transaction each); default 100. */
  readonly batchSize?: number
  readonly onProgress?: (p: ImportProgress) => void
  /** Written to `kefu.origin` for the sync log; default `console`. */
  readonly origin?: string
  readonly logger?: Logger
  readonly signal?: AbortSignal
}

/** What happened to one imported entry. */
export type ImportAction = 'inserted' | 'updated' | 'unchanged'

/** Result of an FAQ import. */
export interface FaqImportResult {
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  /** One per distinct question, in file order: the file's key, the database id, the action. */
  readonly entries: { key?: string; id: string; action: ImportAction }[]
}

/** The file had rows that could not be read; nothing was written. */
export class FaqImportError extends Error {
  readonly issues: readonly FaqFileIssue[]
  constructor(issues: readonly FaqFileIssue[]) {
    const first = issues[0]
    super(
      `${issues.length} row(s) could not be imported` +
        (first ? `; line ${first.line}: ${first.message}` : ''),
    )
    this.name = 'FaqImportError'
    this.issues = issues
  }
}

interface Existing {
  id: string
  answer: string
  variants: string[]
  tags: string[]
  published: boolean
  question: string
  source_hash: string | null
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** Parses an FAQ file and imports it; throws {@link FaqImportError} if any row is invalid. */
export async function importFaqFile(
  content: string,
  format: FaqFileFormat,
  opts: ImportOptions,
): Promise<FaqImportResult> {
  const { rows, issues } = parseFaqFile(content, format)
  if (issues.length > 0) throw new FaqImportError(issues)
  return importFaq(rows, opts)
}

/** Imports FAQ entries (see the module comment for the idempotency rules). */
export async function importFaq(
  input: readonly FaqInput[],
  opts: ImportOptions,
): Promise<FaqImportResult> {
  const log = (opts.logger ?? silentLogger()).child({ component: 'kb-import' })
  const { db, embedder } = opts
  const batchSize = Math.max(1, opts.batchSize ?? 100)

  // Later rows win over earlier rows with the same question.
  const byKey = new Map<string, FaqInput>()
  for (const row of input) byKey.set(normalise(row.question), row)
  const rows = [...byKey.values()]

  const existing = new Map<string, Existing>()
  for (const e of await db.query<Existing & Record<string, unknown>>(
    `SELECT f.id, f.question, f.answer, f.variants, f.tags, f.published, c.source_hash
     FROM faq f LEFT JOIN kb_chunks c ON c.faq_id = f.id ORDER BY f.id`,
  ))
    existing.set(normalise(e.question), e)

  const entries: FaqImportResult['entries'] = []
  opts.onProgress?.({ done: 0, total: rows.length })
  for (let b = 0; b < rows.length; b += batchSize) {
    opts.signal?.throwIfAborted()
    const inserts: Record<string, unknown>[] = []
    const updates: Record<string, unknown>[] = []
    const reindex: { faqId: string; content: ReturnType<typeof faqChunkContent>; hash: string }[] =
      []
    for (const row of rows.slice(b, b + batchSize)) {
      const old = existing.get(normalise(row.question))
      const content = faqChunkContent(row)
      const hash = chunkHash(content, embedder.id)
      const published = row.published ?? old?.published ?? true
      const record = { question: row.question, answer: row.answer, variants: row.variants }
      let action: ImportAction
      let id: string
      if (!old) {
        id = newId()
        action = 'inserted'
        inserts.push({ id, ...record, tags: row.tags, published })
      } else {
        id = old.id
        const unchanged =
          old.question === row.question &&
          old.answer === row.answer &&
          same(old.variants, row.variants) &&
          same(old.tags, row.tags) &&
          old.published === published
        action = unchanged ? 'unchanged' : 'updated'
        if (!unchanged) updates.push({ id, ...record, tags: row.tags, published })
      }
      if (old?.source_hash !== hash) reindex.push({ faqId: id, content, hash })
      entries.push({ ...(row.key === undefined ? {} : { key: row.key }), id, action })
    }
    const chunks = await buildChunkRows(
      embedder,
      reindex.map((r) => ({ owner: { faqId: r.faqId }, content: r.content, hash: r.hash })),
      opts.signal,
    )
    if (inserts.length + updates.length + chunks.length > 0) {
      await db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [opts.origin ?? 'console'])
        if (inserts.length > 0)
          await tx.query(
            `INSERT INTO faq (id, question, answer, variants, tags, published)
             SELECT id, question, answer, variants, tags, published
             FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, question text, answer text,
               variants text[], tags text[], published boolean)`,
            [JSON.stringify(inserts)],
          )
        if (updates.length > 0)
          await tx.query(
            `UPDATE faq f SET question = x.question, answer = x.answer, variants = x.variants,
               tags = x.tags, published = x.published, updated_at = now()
             FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, question text, answer text,
               variants text[], tags text[], published boolean)
             WHERE f.id = x.id`,
            [JSON.stringify(updates)],
          )
        await deleteFaqChunks(
          tx,
          reindex.map((r) => r.faqId),
        )
        await insertChunks(tx, chunks)
      })
    }
    opts.onProgress?.({ done: Math.min(rows.length, b + batchSize), total: rows.length })
  }
  const count = (a: ImportAction) => entries.filter((e) => e.action === a).length
  const result = {
    inserted: count('inserted'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    entries,
  }
  log.info(
    { inserted: result.inserted, updated: result.updated, unchanged: result.unchanged },
    'faq imported',
  )
  return result
}
