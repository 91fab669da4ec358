import { afterEach, expect, test } from 'vitest'
import { createTestPostgres, migrate, openPglite, type Db, type TestPostgres } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import { silentLogger } from '../logger.ts'
import { createLogTail, type LogEntry } from './log-tail.ts'

let t: TestPostgres | null = null
afterEach(async () => {
  await t?.drop()
  t = null
})

async function seedAgent(db: Db): Promise<string> {
  const id = newId()
  await db.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, 'a')`, [id])
  return id
}

/**
 * Many transactions commit concurrently, some slow (holding their log rows uncommitted while
 * later ones commit), some rolled back. A tail reading all along must see every committed
 * change exactly once, in strictly increasing LSN order, and nothing from a rollback.
 */
test('concurrent writers: no committed change is skipped or delivered twice', async () => {
  t = await createTestPostgres({ max: 24 })
  const db = t.db
  await migrate(db, 'cloud')
  const agent = await seedAgent(db)
  const tail = createLogTail({ db, logger: silentLogger(), pollMs: 5 })
  await tail.start()
  const startHead = tail.head
  const seen: LogEntry[] = []
  tail.subscribe((es) => seen.push(...es))

  const writers = 16
  const txPerWriter = 40
  const expected = new Set<string>()
  let rolledBack = 0
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let k = 0; k < txPerWriter; k++) {
        const ids = Array.from({ length: 1 + ((w + k) % 3) }, () => newId())
        const rollback = (w * 7 + k) % 11 === 0
        try {
          await db.transaction(async (tx) => {
            for (const id of ids)
              await tx.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, $3)`, [id, agent, id])
            // Stall some transactions so later ones commit first.
            if ((w + k) % 5 === 0) await new Promise((r) => setTimeout(r, 5 + ((w * k) % 20)))
            if (rollback) throw new Error('rollback')
          })
          for (const id of ids) expected.add(id)
        } catch {
          rolledBack++
        }
      }
    }),
  )
  await tail.refresh()
  await tail.stop()
  const inserted = seen.filter((e) => e.tbl === 'conversations').map((e) => e.pk!)
  expect(rolledBack).toBeGreaterThan(0)
  expect(new Set(inserted).size).toBe(inserted.length) // nothing twice
  expect(new Set(inserted)).toEqual(expected) // nothing skipped, nothing from a rollback
  for (let i = 1; i < seen.length; i++) {
    const a = seen[i - 1]!
    const b = seen[i]!
    expect(b.lsn > a.lsn || (b.lsn === a.lsn && b.id > a.id)).toBe(true)
  }
  // Every sealed transaction is visible: the LSNs the tail saw are exactly those in sync_tx.
  const lsns = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sync_tx WHERE lsn > $1::bigint`, [String(startHead)])
  expect(new Set(seen.map((e) => e.lsn)).size).toBe(lsns[0]!.n)
}, 120_000)

test('a reader never sees a later LSN before an earlier one commits', async () => {
  t = await createTestPostgres({ max: 4 })
  const db = t.db
  await migrate(db, 'cloud')
  const agent = await seedAgent(db)
  // Transaction A writes first and commits last; B commits in between.
  let releaseA!: () => void
  const aHolds = new Promise<void>((r) => (releaseA = r))
  const a = db.transaction(async (tx) => {
    await tx.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, 'A')`, [newId(), agent])
    await aHolds
  })
  await new Promise((r) => setTimeout(r, 50))
  await db.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, 'B')`, [newId(), agent])
  const mid = await db.query<{ k: string }>(
    `SELECT l.new_row->>'chat_key' AS k FROM sync_tx t JOIN sync_log l USING (txid) WHERE l.tbl = 'conversations' ORDER BY t.lsn`,
  )
  expect(mid.map((r) => r.k)).toEqual(['B'])
  releaseA()
  await a
  const after = await db.query<{ k: string }>(
    `SELECT l.new_row->>'chat_key' AS k FROM sync_tx t JOIN sync_log l USING (txid) WHERE l.tbl = 'conversations' ORDER BY t.lsn`,
  )
  // A got its LSN at commit, after B: commit order, so a reader past B still finds A.
  expect(after.map((r) => r.k)).toEqual(['B', 'A'])
})

test('change capture works the same on embedded PGlite', async () => {
  const db = await openPglite()
  try {
    await migrate(db, 'cloud')
    const agent = await seedAgent(db)
    const id = newId()
    await db.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, 'x')`, [id, agent])
    await db.query(`UPDATE conversations SET state = 'bot' WHERE id = $1::uuid`, [id])
    await db.query(`UPDATE conversations SET state = 'bot' WHERE id = $1::uuid`, [id]) // no change: not logged
    await db.query(`DELETE FROM conversations WHERE id = $1::uuid`, [id])
    const rows = await db.query<{ op: string; lsn: string }>(
      `SELECT l.op, t.lsn::text AS lsn FROM sync_tx t JOIN sync_log l USING (txid) WHERE l.tbl = 'conversations' ORDER BY t.lsn, l.id`,
    )
    expect(rows.map((r) => r.op)).toEqual(['insert', 'update', 'delete'])
    const lsns = rows.map((r) => BigInt(r.lsn))
    expect(lsns[0]! < lsns[1]! && lsns[1]! < lsns[2]!).toBe(true)
  } finally {
    await db.close()
  }
})
