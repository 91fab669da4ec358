import { afterAll, beforeAll, expect, test } from 'vitest'
import { pino } from 'pino'
import { newId, type Change } from '@kefu/schema'
import { applyLocal } from './local-apply.ts'
import { dropSupersededCopies, supersededCopies } from './reconcile.ts'
import { openReplica, type Replica } from './replica.ts'

let replica: Replica
beforeAll(async () => {
  replica = await openReplica({ logger: pino({ level: 'silent' }) })
})
afterAll(() => replica.close())

const agentId = newId()
const conversationId = newId()
const capture = (dedupKey: string, text: string): Extract<Change, { kind: 'insert_message' }> => ({
  id: newId(),
  kind: 'insert_message',
  row: {
    id: newId(),
    conversation_id: conversationId,
    agent_id: agentId,
    direction: 'in',
    sender: '王女士',
    text,
    kind: 'text',
    mentioned: false,
    captured_at: new Date().toISOString(),
    dedup_key: dedupKey,
    origin: 'agent',
    answered_by: null,
  },
})

const visible = (key: string) =>
  replica.db.query<{ id: string }>(`SELECT id::text AS id FROM messages_all WHERE dedup_key = $1`, [
    key,
  ])

/** The cloud's row for a message, as pglite-sync writes it. */
const syncDown = (id: string, key: string, agent = agentId) =>
  replica.db.query(
    `INSERT INTO messages (id, conversation_id, agent_id, direction, sender, text, kind, mentioned, captured_at, dedup_key, origin, answered_by, created_at)
     VALUES ($1::uuid, $2::uuid, $3::uuid, 'in', '王女士', '在吗', 'text', false, now(), $4, 'agent', 'cloud', now())`,
    [id, conversationId, agent, key],
  )

test('a local copy the cloud deduplicated to another id goes when the synced row lands, and stays gone on replay', async () => {
  const c = capture('dk-supersede-1', '在吗')
  await replica.db.transaction(async (tx) => {
    await applyLocal(tx, c, new Date())
    await tx.query(
      `INSERT INTO message_answered_local (id, answered_by) VALUES ($1::uuid, 'local')`,
      [c.row.id],
    )
  })
  expect(await visible('dk-supersede-1')).toEqual([{ id: c.row.id }])

  const kept = newId()
  await syncDown(kept, 'dk-supersede-1')
  expect(await visible('dk-supersede-1')).toEqual([{ id: kept }])
  expect(
    await replica.db.query(`SELECT 1 FROM messages_local WHERE id = $1::uuid`, [c.row.id]),
  ).toEqual([])
  expect(
    await replica.db.query(`SELECT 1 FROM message_answered_local WHERE id = $1::uuid`, [c.row.id]),
  ).toEqual([])

  // A restart replays the journal into the restored replica: the copy does not come back.
  await replica.db.transaction((tx) => applyLocal(tx, c, new Date()))
  expect(await visible('dk-supersede-1')).toEqual([{ id: kept }])
})

test('the same dedup key of another agent supersedes nothing', async () => {
  const c = capture('dk-other-agent', '你好')
  await replica.db.transaction((tx) => applyLocal(tx, c, new Date()))
  await syncDown(newId(), 'dk-other-agent', newId())
  expect((await visible('dk-other-agent')).map((r) => r.id)).toContain(c.row.id)
})

test('a duplicate result drops the copy at once; applied ones and same-id duplicates keep theirs', async () => {
  const dup = capture('dk-result-dup', '发货了吗')
  const replay = capture('dk-result-replay', '多久到')
  const fresh = capture('dk-result-fresh', '能开发票吗')
  await replica.db.transaction(async (tx) => {
    for (const c of [dup, replay, fresh]) await applyLocal(tx, c, new Date())
  })
  const outcomes = [
    { change: dup, result: { id: dup.id, status: 'duplicate' as const, existing_id: newId() } },
    // A replayed batch: the cloud kept our own id.
    {
      change: replay,
      result: { id: replay.id, status: 'duplicate' as const, existing_id: replay.row.id },
    },
    { change: fresh, result: { id: fresh.id, status: 'applied' as const } },
  ]
  expect(supersededCopies(outcomes)).toEqual([dup.row.id])
  expect(await dropSupersededCopies(replica.db, outcomes)).toBe(1)
  expect(await visible('dk-result-dup')).toEqual([])
  expect(await visible('dk-result-replay')).toEqual([{ id: replay.row.id }])
  expect(await visible('dk-result-fresh')).toEqual([{ id: fresh.row.id }])
})
