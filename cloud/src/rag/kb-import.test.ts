import { afterEach, describe, expect, test } from 'vitest'
import { openPglite, type Db } from '@kefu/migrations'
import { createLexicalEmbedder } from './embedder.ts'
import { FaqImportError, importFaqFile, type ImportProgress } from './kb-import.ts'
import { documentFromMarkdown, importDocuments } from './kb-import-docs.ts'
import { FAQ_JSONL, POLICY_MD, migrated } from './test-kb.ts'

let db: Db
afterEach(async () => db?.close())
const open = async () => (db = await migrated(await openPglite()))
const embedder = createLexicalEmbedder()
const count = async (sql: string) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`))[0]!.n

describe('importFaqFile', () => {
  test('writes one faq row and one embedded, tokenised chunk per entry', async () => {
    await open()
    const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    expect(r).toMatchObject({ inserted: 12, updated: 0, unchanged: 0 })
    expect(r.entries[0]).toMatchObject({ key: 'ship', action: 'inserted' })
    expect(await count('faq WHERE published')).toBe(12)
    const [c] = await db.query<{ text: string; lexemes: string; embedder: string; has: boolean }>(
      `SELECT c.text, c.lexemes, c.embedder, c.embedding IS NOT NULL AS has
       FROM kb_chunks c JOIN faq f ON f.id = c.faq_id WHERE f.question = '下单后多久发货？'`,
    )
    expect(c).toMatchObject({
      text: '下单后多久发货？\n现货商品付款后48小时内发货。',
      embedder: embedder.id,
      has: true,
    })
    expect(c!.lexemes.split(' ')).toEqual(expect.arrayContaining(['发货', '多久']))
  })

  test('importing the same file again writes nothing', async () => {
    await open()
    await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    const before = await db.query(`SELECT id, faq_id FROM kb_chunks ORDER BY id`)
    const log = await count('sync_log')
    const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    expect(r).toMatchObject({ inserted: 0, updated: 0, unchanged: 12 })
    expect(await db.query(`SELECT id, faq_id FROM kb_chunks ORDER BY id`)).toEqual(before)
    expect(await count('sync_log')).toBe(log)
  })

  test('the same question, punctuated differently, updates the entry instead of adding one', async () => {
    await open()
    await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    const r = await importFaqFile(
      '{"question":"下单后多久发货","answer":"24小时内发货。"}',
      'jsonl',
      {
        db,
        embedder,
      },
    )
    expect(r).toMatchObject({ inserted: 0, updated: 1 })
    expect(await count('faq')).toBe(12)
    const [c] = await db.query<{ text: string }>(`SELECT text FROM kb_chunks WHERE faq_id = $1`, [
      r.entries[0]!.id,
    ])
    expect(c!.text).toBe('下单后多久发货\n24小时内发货。')
    expect(await count('kb_chunks')).toBe(12)
  })

  test('reports progress per batch', async () => {
    await open()
    const seen: ImportProgress[] = []
    await importFaqFile(FAQ_JSONL, 'jsonl', {
      db,
      embedder,
      batchSize: 5,
      onProgress: (p) => seen.push(p),
    })
    expect(seen).toEqual([
      { done: 0, total: 12 },
      { done: 5, total: 12 },
      { done: 10, total: 12 },
      { done: 12, total: 12 },
    ])
  })

  test('an invalid row rejects the whole file and writes nothing', async () => {
    await open()
    const bad = `${FAQ_JSONL}\n{"question":"缺答案"}`
    const err = await importFaqFile(bad, 'jsonl', { db, embedder }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FaqImportError)
    expect((err as FaqImportError).issues[0]!.line).toBe(13)
    expect(await count('faq')).toBe(0)
  })

  test('imports CSV with pipe-separated variants', async () => {
    await open()
    const csv = 'question,answer,variants\n能开发票吗？,可以，电子发票。,有发票吗|开票吗\n'
    await importFaqFile(csv, 'csv', { db, embedder })
    const [f] = await db.query<{ variants: string[] }>(`SELECT variants FROM faq`)
    expect(f!.variants).toEqual(['有发票吗', '开票吗'])
  })

  test('a new embedder rebuilds the chunks but leaves the faq rows alone', async () => {
    await open()
    await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    const other = createLexicalEmbedder({ unigramWeight: 0.3 })
    const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder: other })
    expect(r.unchanged).toBe(12)
    expect(await count(`kb_chunks WHERE embedder = '${other.id}'`)).toBe(12)
    expect(await count('kb_chunks')).toBe(12)
  })

  test('an entry unpublished in the console stays unpublished when the file does not say', async () => {
    await open()
    await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    await db.query(`UPDATE faq SET published = false WHERE question = '可以开发票吗？'`)
    const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
    expect(r.unchanged).toBe(12)
    expect(await count('faq WHERE NOT published')).toBe(1)
  })
})

describe('importDocuments', () => {
  test('chunks a document, and re-imports by source idempotently', async () => {
    await open()
    const doc = documentFromMarkdown('docs/after-sales.md', POLICY_MD)
    expect(doc.title).toBe('售后服务政策')
    const first = await importDocuments([doc], { db, embedder })
    expect(first).toMatchObject({ inserted: 1, chunks: 3 })
    expect(await importDocuments([doc], { db, embedder })).toMatchObject({
      unchanged: 1,
      chunks: 3,
    })
    const changed = { ...doc, body: `${POLICY_MD}\n## 发票\n\n支持开具电子发票。\n` }
    expect(await importDocuments([changed], { db, embedder })).toMatchObject({
      updated: 1,
      chunks: 4,
    })
    expect(await count('kb_documents')).toBe(1)
    expect(await count('kb_chunks WHERE document_id IS NOT NULL')).toBe(4)
  })
})
