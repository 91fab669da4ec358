import { expect, test } from 'vitest'
import { pino } from 'pino'
import { openPglite, type Db } from '@kefu/migrations'
import { dropStaleSubscriptions, openReplica, resumeFromCommitted } from './replica.ts'

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

test('the parser table holds the scalars and our array columns: results parse as before, each statement copies little', async () => {
  const r = await openReplica({ logger: pino({ level: 'silent' }) })
  try {
    // PGlite copies the whole table into every result it parses; ~320 entries before the trim.
    expect(Object.keys(r.pg.parsers).sort()).toEqual(['1009', '2951']) // text[], uuid[]
    const id = '00000000-0000-4000-8000-000000000001'
    await r.db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin, confidence, sources, status, created_at, updated_at)
       VALUES ($1::uuid, $1::uuid, $1::uuid, ARRAY[$1::uuid], '好', 'faq', 0.5, '[{"faq":1}]'::jsonb, 'queued', now(), now())`,
      [id],
    )
    await r.db.query(
      `INSERT INTO faq (id, question, answer, variants, tags, published, updated_at) VALUES ($1::uuid, '问', '答', ARRAY['问法'], ARRAY['标签'], true, now())`,
      [id],
    )
    const [reply] = await r.db.query<Record<string, unknown>>(
      `SELECT message_ids, confidence, sources, created_at, count(*) OVER () AS n, true AS yes FROM replies`,
    )
    expect(reply).toEqual({
      message_ids: [id],
      confidence: 0.5,
      sources: [{ faq: 1 }],
      created_at: expect.any(Date),
      n: 1,
      yes: true,
    })
    const [f] = await r.db.query<Record<string, unknown>>(`SELECT variants, tags FROM faq`)
    expect(f).toEqual({ variants: ['问法'], tags: ['标签'] })
    // An array of a type no column has comes back as Postgres text.
    expect(await r.db.query(`SELECT ARRAY[1.5, 2]::float8[] AS a`)).toEqual([{ a: '{1.5,2}' }])
  } finally {
    await r.close()
  }
})

test('a subscription stored under a group that no longer exists is dropped with its rows; current ones stay', async () => {
  const r = await openReplica({ logger: pino({ level: 'silent' }) })
  try {
    const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`
    await r.db.exec(`CREATE SCHEMA electric; CREATE TABLE electric.subscriptions_metadata (key text PRIMARY KEY, shape_metadata jsonb NOT NULL, last_lsn text NOT NULL)`)
    const sub = (key: string, shapes: string[]) =>
      r.db.query(`INSERT INTO electric.subscriptions_metadata VALUES ($1, $2::text::jsonb, '100')`, [
        key,
        JSON.stringify(Object.fromEntries(shapes.map((s) => [s, { handle: 'h', offset: '100_inf' }]))),
      ])
    await sub('kefu-agent:knowledge', ['faq', 'rules']) // a group of an earlier release
    await sub('kefu-agent:chat', ['conversations', 'replies'])
    await sub('kefu-agent:history', ['messages', 'customers', 'faq']) // holds a table its group has not
    await r.db.query(`INSERT INTO faq (id, question, answer, variants, tags, published, updated_at) VALUES ($1::uuid, '问', '答', '{}', '{}', true, now())`, [id(1)])
    await r.db.query(`INSERT INTO rules (id, version, status, body, published_at) VALUES ($1::uuid, 1, 'published', '{}', now())`, [id(2)])
    await r.db.query(
      `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin, confidence, sources, status, created_at, updated_at)
       VALUES ($1::uuid, $1::uuid, $1::uuid, '{}', '好', 'faq', 0.5, '[]', 'queued', now(), now())`,
      [id(3)],
    )
    expect((await dropStaleSubscriptions(r.db)).sort()).toEqual(['kefu-agent:history', 'kefu-agent:knowledge'])
    const n = async (t: string) => (await r.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n
    expect([await n('faq'), await n('rules'), await n('replies')]).toEqual([0, 0, 1])
    expect(await r.db.query(`SELECT key FROM electric.subscriptions_metadata`)).toEqual([{ key: 'kefu-agent:chat' }])
    expect(await dropStaleSubscriptions(r.db)).toEqual([])
  } finally {
    await r.close()
  }
})
