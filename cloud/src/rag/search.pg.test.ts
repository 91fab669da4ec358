import { describe, expect, test } from 'vitest'
import { createTestPostgres } from '@kefu/migrations'
import { createLexicalEmbedder, toVectorLiteral } from './embedder.ts'
import { searchSuite } from './search-suite.ts'
import { migrated } from './test-kb.ts'

describe('retrieval on Postgres', () => {
  searchSuite(async () => {
    const t = await createTestPostgres()
    return { db: t.db, close: () => t.drop() }
  })

  test('vector search walks the HNSW index', async () => {
    const t = await createTestPostgres()
    try {
      const db = await migrated(t.db)
      const [q] = await createLexicalEmbedder().embed(['退款多久到账'])
      await db.exec('SET enable_seqscan = off')
      const plan = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM kb_chunks c WHERE c.embedding IS NOT NULL AND c.embedder = 'x'
         ORDER BY c.embedding <=> $1::vector LIMIT 40`,
        [toVectorLiteral(q!)],
      )
      expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('kb_chunks_embedding')
    } finally {
      await t.drop()
    }
  })
})
