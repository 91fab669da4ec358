/**
 * Imports Markdown or plain-text documents into `kb_documents` + `kb_chunks`. A document is
 * identified by its `source` (a file path or URL; the title when none is given): importing the
 * same source again replaces its body and chunks, and importing it unchanged writes nothing.
 * Each document is chunked (chunk.ts), embedded, then written in its own transaction.
 */
import { createHash } from 'node:crypto'
import { newId } from '@kefu/schema'
import { silentLogger } from '../logger.ts'
import { chunkMarkdown, type ChunkOptions } from './chunk.ts'
import { buildChunkRows, CHUNK_FORMAT_VERSION, insertChunks } from './kb-chunks.ts'
import type { ImportAction, ImportOptions } from './kb-import.ts'

/** A document to import. */
export interface DocumentInput {
  readonly title: string
  readonly body: string
  /** Where it came from; the identity for re-imports. Defaults to the title. */
  readonly source?: string
}

/** Result of a document import. */
export interface DocumentImportResult {
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  readonly chunks: number
  readonly entries: { source: string; id: string; action: ImportAction; chunks: number }[]
}

/** A document from a Markdown file: the first `# heading` is the title, else the file name. */
export function documentFromMarkdown(source: string, content: string): DocumentInput {
  const h1 = /^#\s+(.+?)\s*#*\s*$/m.exec(content)
  const name = source.split(/[\\/]/).pop() ?? source
  return { title: h1?.[1] ?? name.replace(/\.(md|markdown|txt)$/i, ''), body: content, source }
}

/** Imports documents; `onProgress` counts documents. */
export async function importDocuments(
  docs: readonly DocumentInput[],
  opts: ImportOptions & { readonly chunk?: ChunkOptions },
): Promise<DocumentImportResult> {
  const log = (opts.logger ?? silentLogger()).child({ component: 'kb-import' })
  const { db, embedder } = opts
  const entries: DocumentImportResult['entries'] = []
  opts.onProgress?.({ done: 0, total: docs.length })
  for (const [n, doc] of docs.entries()) {
    opts.signal?.throwIfAborted()
    const source = doc.source ?? doc.title
    const hash = createHash('sha256')
      .update(
        JSON.stringify([CHUNK_FORMAT_VERSION, embedder.id, doc.title, doc.body, opts.chunk ?? {}]),
      )
      .digest('hex')
      .slice(0, 32)
    const [old] = await db.query<{ id: string; current: boolean; n: number }>(
      `SELECT d.id, count(c.id)::int AS n,
         coalesce(bool_and(c.source_hash = $2), false) AS current
       FROM kb_documents d LEFT JOIN kb_chunks c ON c.document_id = d.id
       WHERE d.source = $1 GROUP BY d.id`,
      [source, hash],
    )
    if (old && old.current && old.n > 0) {
      entries.push({ source, id: old.id, action: 'unchanged', chunks: old.n })
    } else {
      const id = old?.id ?? newId()
      const pieces = chunkMarkdown(doc.body, opts.chunk ?? {})
      const rows = await buildChunkRows(
        embedder,
        pieces.map((c) => ({
          owner: { documentId: id },
          ord: c.ord,
          hash,
          content: { text: c.text, lexical: c.text, semantic: c.text },
        })),
        opts.signal,
      )
      await db.transaction(async (tx) => {
        await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [opts.origin ?? 'console'])
        await tx.query(
          `INSERT INTO kb_documents (id, title, source, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (source) WHERE source IS NOT NULL
           DO UPDATE SET title = excluded.title, body = excluded.body`,
          [id, doc.title, source, doc.body],
        )
        await tx.query('DELETE FROM kb_chunks WHERE document_id = $1', [id])
        await insertChunks(tx, rows)
      })
      entries.push({ source, id, action: old ? 'updated' : 'inserted', chunks: rows.length })
    }
    opts.onProgress?.({ done: n + 1, total: docs.length })
  }
  const count = (a: ImportAction) => entries.filter((e) => e.action === a).length
  const result = {
    inserted: count('inserted'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    chunks: entries.reduce((s, e) => s + e.chunks, 0),
    entries,
  }
  log.info(
    { inserted: result.inserted, updated: result.updated, chunks: result.chunks },
    'documents imported',
  )
  return result
}
