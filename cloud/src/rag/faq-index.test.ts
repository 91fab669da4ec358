import { afterEach, expect, test } from 'vitest'
import { openPglite, type Db } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import { createLexicalEmbedder } from './embedder.ts'
import { reindexFaqChunks } from './faq-index.ts'
import { importFaqFile } from './kb-import.ts'
import { createRetriever } from './search.ts'
import { FAQ_JSONL, migrated } from './test-kb.ts'

let db: Db
afterEach(async () => db?.close())
const embedder = createLexicalEmbedder()

test('rebuilds the chunks of FAQ rows edited or added outside the importer, and only those', async () => {
  db = await migrated(await openPglite())
  await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
  expect(await reindexFaqChunks({ db, embedder })).toEqual({ rebuilt: 0, checked: 12 })

  // A console editor rewrites one answer and adds an entry.
  await db.query(
    `UPDATE faq SET answer = '支持开具纸质和电子发票。' WHERE question = '可以开发票吗？'`,
  )
  const added = newId()
  await db.query(
    `INSERT INTO faq (id, question, answer) VALUES ($1, '支持货到付款吗？', '暂不支持。')`,
    [added],
  )
  expect(await reindexFaqChunks({ db, embedder })).toEqual({ rebuilt: 2, checked: 13 })
  expect(await reindexFaqChunks({ db, embedder })).toEqual({ rebuilt: 0, checked: 13 })

  const search = createRetriever({ db, embedder }).search
  expect((await search('能开纸质发票吗', { k: 1 }))[0]?.text).toContain('纸质')
  const lexicalOnly = await db.query<{ faq_id: string }>(
    `SELECT faq_id FROM kb_chunks WHERE tsv @@ to_tsquery('simple', '货到 | 付款')`,
  )
  expect(lexicalOnly.map((r) => r.faq_id)).toContain(added)
})
