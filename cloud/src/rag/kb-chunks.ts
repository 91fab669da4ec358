/**
 * What goes into a `kb_chunks` row, and writing rows in bulk. An FAQ entry is one chunk: its
 * question and answer as the text (what the LLM sees), question + variants + answer as the
 * lexemes (what lexical search matches), question + variants as the embedded text. A
 * document chunk uses its heading path and body for all three.
 *
 * `source_hash` fingerprints all of that plus the tokeniser version and the embedder, so an
 * import can tell which chunks are current and rewrite only the others.
 */
import { createHash } from 'node:crypto'
import { toLexemes } from '@kefu/match'
import { newId } from '@kefu/schema'
import type { Queryable } from '@kefu/migrations'
import { isZeroVector, toVectorLiteral, type Embedder } from './embedder.ts'

/** Bump when tokenising or chunk layout changes: every chunk is then rebuilt on import. */
export const CHUNK_FORMAT_VERSION = 1

/** A chunk's content before embedding. */
export interface ChunkContent {
  /** Stored text, returned by search and given to the LLM. */
  readonly text: string
  /** Text whose tokens go into `lexemes`. */
  readonly lexical: string
  /** Text that is embedded. */
  readonly semantic: string
}

/** The chunk content of an FAQ entry. */
export function faqChunkContent(faq: {
  question: string
  answer: string
  variants: readonly string[]
}): ChunkContent {
  const questions = [faq.question, ...faq.variants].join('\n')
  return {
    text: `${faq.question}\n${faq.answer}`,
    lexical: `${questions}\n${faq.answer}`,
    semantic: questions,
  }
}

/** Fingerprint of a chunk's inputs under an embedder. */
export function chunkHash(c: ChunkContent, embedderId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([CHUNK_FORMAT_VERSION, embedderId, c.text, c.lexical, c.semantic]))
    .digest('hex')
    .slice(0, 32)
}

/** A row ready for `kb_chunks`. */
export interface ChunkRow {
  readonly id: string
  readonly document_id: string | null
  readonly faq_id: string | null
  readonly ord: number
  readonly text: string
  readonly lexemes: string
  /** pgvector literal, or null when the text had nothing to embed. */
  readonly embedding: string | null
  readonly embedder: string
  readonly source_hash: string
}

/** Owner of a chunk: exactly one of the two. */
export type ChunkOwner = { faqId: string } | { documentId: string }

/** Embeds `contents` and builds their rows (ord = position in the list). */
export async function buildChunkRows(
  embedder: Embedder,
  items: readonly { owner: ChunkOwner; content: ChunkContent; ord?: number; hash?: string }[],
  signal?: AbortSignal,
): Promise<ChunkRow[]> {
  const vectors = await embedder.embed(
    items.map((i) => i.content.semantic),
    signal ? { signal } : {},
  )
  return items.map((item, k) => {
    const v = vectors[k]!
    return {
      id: newId(),
      document_id: 'documentId' in item.owner ? item.owner.documentId : null,
      faq_id: 'faqId' in item.owner ? item.owner.faqId : null,
      ord: item.ord ?? 0,
      text: item.content.text,
      lexemes: toLexemes(item.content.lexical),
      embedding: isZeroVector(v) ? null : toVectorLiteral(v),
      embedder: embedder.id,
      source_hash: item.hash ?? chunkHash(item.content, embedder.id),
    }
  })
}

// Rows travel as one JSON document bound as text: postgres.js would JSON-encode a string
// bound to a jsonb parameter a second time, and one parameter keeps batches of any size legal.

/** Inserts chunk rows in one statement. */
export async function insertChunks(tx: Queryable, rows: readonly ChunkRow[]): Promise<void> {
  if (rows.length === 0) return
  await tx.query(
    `INSERT INTO kb_chunks
       (id, document_id, faq_id, ord, text, lexemes, embedding, embedder, source_hash)
     SELECT id, document_id, faq_id, ord, text, lexemes, embedding::vector, embedder, source_hash
     FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, document_id uuid, faq_id uuid, ord int,
       text text, lexemes text, embedding text, embedder text, source_hash text)`,
    [JSON.stringify(rows)],
  )
}

/** Deletes the chunks of the given FAQ entries. */
export async function deleteFaqChunks(tx: Queryable, faqIds: readonly string[]): Promise<void> {
  if (faqIds.length === 0) return
  await tx.query(
    `DELETE FROM kb_chunks
     WHERE faq_id IN (SELECT jsonb_array_elements_text($1::text::jsonb)::uuid)`,
    [JSON.stringify(faqIds)],
  )
}
