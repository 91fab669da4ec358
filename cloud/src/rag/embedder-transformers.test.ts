import { describe, expect, test } from 'vitest'
import { fileURLToPath } from 'node:url'
import { openPglite } from '@kefu/migrations'
import { createTransformersEmbedder, ModelNotFoundError } from './embedder-transformers.ts'
import { importFaqFile } from './kb-import.ts'
import { createRetriever } from './search.ts'
import { FAQ_JSONL, migrated } from './test-kb.ts'

// The committed test model built by scripts/build-tiny-model.ts.
const MODEL_DIR = fileURLToPath(new URL('../../../models/tiny-zh', import.meta.url))
const norm = (v: number[]) => Math.hypot(...v)

describe('transformers embedder (models/tiny-zh)', () => {
  test('loads the local model and returns normalised 384-dimensional vectors', async () => {
    const e = await createTransformersEmbedder({ modelDir: MODEL_DIR, batchSize: 2 })
    expect(e.id).toBe('transformers:tiny-zh')
    const texts = ['退款多久到账', '快递到哪了', 'iPhone 15 Pro 保修', '', '退款多久到账']
    const v = await e.embed(texts)
    expect(v).toHaveLength(5)
    for (const i of [0, 1, 2, 4]) {
      expect(v[i]).toHaveLength(384)
      expect(norm(v[i]!)).toBeCloseTo(1, 5)
    }
    expect(v[3]!.every((x) => x === 0)).toBe(true)
    v[0]!.forEach((x, i) => expect(x).toBeCloseTo(v[4]![i]!, 6))
  })

  test('a folder without a model is a clear error, not a download', async () => {
    await expect(
      createTransformersEmbedder({ modelDir: '/nonexistent/model' }),
    ).rejects.toBeInstanceOf(ModelNotFoundError)
  })

  test('retrieval runs end to end on the model’s vectors', async () => {
    const embedder = await createTransformersEmbedder({ modelDir: MODEL_DIR })
    const db = await migrated(await openPglite())
    try {
      const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
      const [c] = await db.query<{ embedder: string; n: number }>(
        `SELECT embedder, count(*)::int AS n FROM kb_chunks WHERE embedding IS NOT NULL GROUP BY 1`,
      )
      expect(c).toEqual({ embedder: 'transformers:tiny-zh', n: 12 })
      const hits = await createRetriever({ db, embedder }).search('退款几天能到账', { k: 3 })
      expect(hits[0]?.faqId).toBe(r.entries.find((e) => e.key === 'refund-time')!.id)
      expect(hits[0]!.sources.map((s) => s.arm)).toContain('vector')
    } finally {
      await db.close()
    }
  })
})
