import { describe, expect, test } from 'vitest'
import { fileURLToPath } from 'node:url'
import { evalRetrieval } from './eval-retrieval.ts'

const at = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const data = { faqPath: at('../data/faq-zh.jsonl'), queriesPath: at('../data/queries-zh.jsonl') }
// Every eighth query: ~80 queries, enough to catch a broken retriever in a few seconds.
const select = (i: number) => i % 8 === 0

describe('evalRetrieval', () => {
  test('scores a subset of the Chinese dataset with the lexical default', async () => {
    const r = await evalRetrieval({ ...data, select })
    expect(r.n).toBe(78)
    expect(r.hit_at_1).toBeGreaterThan(0.5)
    expect(r.hit_at_5).toBeGreaterThan(0.75)
    expect(r.hit_at_5).toBeGreaterThanOrEqual(r.hit_at_1)
    expect(r.mrr).toBeGreaterThanOrEqual(r.hit_at_1)
    expect(r.mrr).toBeLessThanOrEqual(r.hit_at_5)
    expect(r.p50_ms).toBeGreaterThan(0)
    expect(r.p95_ms).toBeGreaterThanOrEqual(r.p50_ms)
  })

  test('runs the same evaluation on the tiny transformers model', async () => {
    const r = await evalRetrieval({
      ...data,
      select,
      embedder: 'transformers',
      modelDir: at('../../models/tiny-zh'),
    })
    expect(r.n).toBe(78)
    expect(r.hit_at_1).toBeGreaterThan(0.5)
    expect(r.hit_at_5).toBeGreaterThan(0.75)
  })
})
