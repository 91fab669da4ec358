import { expect, test } from 'vitest'
import { pino } from 'pino'
import { openPglite, type Db } from '@kefu/migrations'
import { openReplica, resumeFromCommitted } from './replica.ts'

test('shapes read ahead of the committed LSN resume from it; others keep their offsets', async () => {
  const db = await openPglite({ vector: false })
  try {
    expect(await resumeFromCommitted(db)).toBe(0) // no subscription yet: nothing to do
    await db.exec(`CREATE SCHEMA electric; CREATE TABLE electric.subscriptions_metadata (key text PRIMARY KEY, shape_metadata jsonb NOT NULL, last_lsn text NOT NULL)`)
    await db.query(`INSERT INTO electric.subscriptions_metadata VALUES ('k', $1::text::jsonb, '100')`, [
      JSON.stringify({ faq: { handle: 'h1', offset: '120_inf' }, rules: { handle: 'h2', offset: '100_inf' }, x: { handle: 'h3', offset: '90_5' } }),
    ])
    expect(await resumeFromCommitted(db)).toBe(1)
    const r = await db.query<{ shape_metadata: Record<string, { offset: string; handle: string }> }>(`SELECT shape_metadata FROM electric.subscriptions_metadata`)
    expect(r[0]!.shape_metadata).toEqual({ faq: { handle: 'h1', offset: '100_inf' }, rules: { handle: 'h2', offset: '100_inf' }, x: { handle: 'h3', offset: '90_5' } })
  } finally {
    await db.close()
  }
})

test('a snapshot restores everything, also files Postgres created after the last restore; no templates, overlays compacted', async () => {
  const logger = pino({ level: 'silent' })
  const fill = (db: Db, table: string, n: number) =>
    db.query(
      `INSERT INTO ${table} (id, conversation_id, agent_id, direction, text, kind, mentioned, captured_at, dedup_key, origin, created_at)
       SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'in', repeat('客户消息', 20) || g, 'text', false, now(), 'k' || g, 'agent', now()
         FROM generate_series(1, $1::int) g`,
      [n],
    )
  const overlayBytes = async (db: Db) =>
    (await db.query<{ n: number }>(`SELECT pg_total_relation_size('messages_local')::int AS n`))[0]!.n
  const a = await openReplica({ logger })
  let image: Uint8Array[]
  try {
    expect(await a.db.query(`SELECT datname FROM pg_database`)).toEqual([{ datname: 'postgres' }])
    await fill(a.db, 'messages', 300)
    // Captures pile up in the overlay, then the cloud confirms them and it empties again.
    await fill(a.db, 'messages_local', 5000)
    await a.db.exec(`DELETE FROM messages_local`)
    const before = await overlayBytes(a.db)
    image = await a.snapshot()
    expect(await overlayBytes(a.db)).toBeLessThan(before / 10)
  } finally {
    await a.close()
  }
  // Restored, then new relation files (a rewritten table): they must be in the next image too.
  const b = await openReplica({ logger, image })
  try {
    await b.db.exec(`VACUUM FULL messages`)
    await fill(b.db, 'messages_local', 3)
    image = await b.snapshot()
  } finally {
    await b.close()
  }
  const c = await openReplica({ logger, image })
  try {
    expect(await c.db.query(`SELECT count(*)::int AS n FROM messages_all`)).toEqual([{ n: 303 }])
    expect(await c.db.query(`SELECT count(*)::int AS n FROM messages WHERE dedup_key = 'k7'`)).toEqual([{ n: 1 }])
  } finally {
    await c.close()
  }
}, 60_000)
