/**
 * Retrieval behaviour that must hold on both engines: search.test.ts runs it on PGlite,
 * search.pg.test.ts on Postgres.
 */
import { afterEach, expect, test } from 'vitest'
import type { Db } from '@kefu/migrations'
import { createLexicalEmbedder } from './embedder.ts'
import { importFaqFile } from './kb-import.ts'
import { documentFromMarkdown, importDocuments } from './kb-import-docs.ts'
import { createRetriever } from './search.ts'
import { FAQ_JSONL, POLICY_MD, migrated } from './test-kb.ts'

/** Registers the shared retrieval tests; `open` yields an empty database and its cleanup. */
export function searchSuite(open: () => Promise<{ db: Db; close: () => Promise<void> }>) {
  let cleanup: (() => Promise<void>) | null = null
  afterEach(async () => {
    await cleanup?.()
    cleanup = null
  })
  const embedder = createLexicalEmbedder()

  /** A migrated database holding the test FAQ and policy document; keys → faq ids. */
  async function seeded() {
    const h = await open()
    cleanup = h.close
    const db = await migrated(h.db)
    const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    await importDocuments([documentFromMarkdown('policy.md', POLICY_MD)], { db, embedder })
    const ids = Object.fromEntries(r.entries.map((e) => [e.key!, e.id]))
    return { db, ids }
  }

  test('hybrid search ranks the FAQ entry a colloquial question means first', async () => {
    const { db, ids } = await seeded()
    const search = createRetriever({ db, embedder }).search
    const cases: [string, string][] = [
      ['亲 退钱几天能到账啊', 'refund-time'],
      ['能发sf吗 急用', 'sf'],
      ['我的快递到哪了 咋查', 'track'],
      ['退回去的邮费谁出', 'return-fee'],
      ['有发票没🙏', 'invoice'],
      ['店里晚上几点关门', 'hours'],
    ]
    for (const [q, key] of cases) {
      const [top] = await search(q, { k: 3 })
      expect({ q, faq: top?.faqId }).toEqual({ q, faq: ids[key] })
    }
  })

  test('re-importing the same knowledge base writes nothing', async () => {
    const { db } = await seeded()
    const count = async () =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sync_log`))[0]!.n
    const before = await count()
    const chunks = await db.query(`SELECT id FROM kb_chunks ORDER BY id`)
    const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    const d = await importDocuments([documentFromMarkdown('policy.md', POLICY_MD)], {
      db,
      embedder,
    })
    expect([r.unchanged, d.unchanged]).toEqual([12, 1])
    expect(await count()).toBe(before)
    expect(await db.query(`SELECT id FROM kb_chunks ORDER BY id`)).toEqual(chunks)
  })

  test('hits carry text, a 0..1 score and the arms that found them', async () => {
    const { db } = await seeded()
    const hits = await createRetriever({ db, embedder }).search('退货运费谁承担', { k: 5 })
    expect(hits.length).toBeGreaterThan(1)
    const top = hits[0]!
    expect(top.text).toContain('退货运费谁承担')
    expect(top.sources.map((s) => s.arm).sort()).toEqual(['faq', 'lexical', 'vector'])
    for (const h of hits) expect(h.score).toBeGreaterThan(0)
    for (const h of hits) expect(h.score).toBeLessThanOrEqual(1)
    for (let i = 1; i < hits.length; i++)
      expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score)
  })

  test('finds document chunks for questions no FAQ answers', async () => {
    const { db } = await seeded()
    const [top] = await createRetriever({ db, embedder }).search('衣柜要自己装吗 师傅上门收费不', {
      k: 3,
    })
    expect(top?.documentId).toBeDefined()
    expect(top?.faqId).toBeUndefined()
    expect(top?.text).toContain('家具安装')
  })

  test('never returns an unpublished FAQ entry', async () => {
    const { db, ids } = await seeded()
    await db.query(`UPDATE faq SET published = false, updated_at = now() WHERE id = $1`, [
      ids.invoice,
    ])
    const hits = await createRetriever({ db, embedder }).search('可以开发票吗', { k: 10 })
    expect(hits.map((h) => h.faqId)).not.toContain(ids.invoice)
  })

  test('compares vectors only with chunks of the same embedder', async () => {
    const { db } = await seeded()
    const other = createLexicalEmbedder({ unigramWeight: 0.9 })
    const hits = await createRetriever({ db, embedder: other }).search('退货运费谁承担', { k: 5 })
    expect(hits.length).toBeGreaterThan(0)
    for (const h of hits) expect(h.sources.map((s) => s.arm)).not.toContain('vector')
  })

  test('an empty or emoji-only query finds nothing and does not fail', async () => {
    const { db } = await seeded()
    const r = createRetriever({ db, embedder })
    expect(await r.search('')).toEqual([])
    expect(await r.search('😂😂？')).toEqual([])
  })

  test('the FAQ fast path sends a near-verbatim question and nothing off-topic', async () => {
    const { db, ids } = await seeded()
    const r = createRetriever({ db, embedder })
    const hit = await r.faqFastPath('你好，请问可以指定顺丰发货吗？')
    expect(hit?.faq.id).toBe(ids.sf)
    expect(hit!.confidence).toBeGreaterThanOrEqual(0.75)
    expect(await r.faqFastPath('今天天气怎么样')).toBeNull()
  })

  test('the FAQ fast path sees edits after refresh() or once its window passes', async () => {
    const { db, ids } = await seeded()
    let now = 0
    const r = createRetriever({ db, embedder, now: () => now, faq: { checkEveryMs: 1000 } })
    expect((await r.faqFastPath('可以开发票吗'))?.faq.answer).toContain('电子发票')
    await db.query(`UPDATE faq SET answer = '可以开纸质发票。' WHERE id = $1`, [ids.invoice])
    expect((await r.faqFastPath('可以开发票吗'))?.faq.answer).toContain('电子发票')
    now = 1500
    expect((await r.faqFastPath('可以开发票吗'))?.faq.answer).toBe('可以开纸质发票。')
    await db.query(`UPDATE faq SET published = false WHERE id = $1`, [ids.invoice])
    await r.refresh()
    expect(await r.faqFastPath('可以开发票吗')).toBeNull()
  })
}
