/**
 * Hostile `POST /api/v1/changes` batches: valid changes carrying nasty-but-legal text around at
 * least one change that must fail (poisoned, mistyped, foreign, malformed), so every batch must
 * be refused whole; and replays of batches already applied.
 */
import fc from 'fast-check'
import { newId, type Change } from '@kefu/schema'
import { nastyString, poisonString, wrongType } from './hostile-inputs.ts'
import { legal, type HostileRequest, type HostileWorld, type Seat } from './hostile-world.ts'

function validChange(w: HostileWorld): fc.Arbitrary<Change> {
  const a = w.a
  const id = fc.uuid()
  return fc.oneof(
    fc
      .record({ id, rid: fc.uuid(), key: legal(300), title: fc.option(legal(300), { nil: null }) })
      .map((x): Change => ({
        id: x.id,
        kind: 'insert_conversation',
        row: {
          id: x.rid,
          agent_id: a.id,
          chat_key: x.key,
          kind: 'direct',
          title: x.title,
          customer_id: null,
        },
      })),
    fc.record({ id, rid: fc.uuid(), name: legal(200) }).map((x): Change => ({
      id: x.id,
      kind: 'insert_customer',
      row: { id: x.rid, agent_id: a.id, display_name: x.name },
    })),
    fc
      .record({
        id,
        rid: fc.uuid(),
        text: legal(20_000),
        sender: fc.option(legal(200), { nil: null }),
        dk: legal(150),
      })
      .map((x): Change => ({
        id: x.id,
        kind: 'insert_message',
        row: {
          id: x.rid,
          conversation_id: a.conv,
          agent_id: a.id,
          direction: 'in',
          sender: x.sender,
          text: x.text,
          kind: 'text',
          mentioned: false,
          captured_at: new Date().toISOString(),
          dedup_key: `hostile-${x.dk}`.slice(0, 200),
          origin: 'agent',
          answered_by: null,
        },
      })),
    fc.record({ id, title: legal(300) }).map((x): Change => ({
      id: x.id,
      kind: 'update_conversation',
      pk: a.conv,
      set: { title: x.title, state: 'human' },
    })),
    fc
      .record({ id, remark: legal(500), tags: fc.array(legal(50), { maxLength: 5 }) })
      .map((x): Change => ({
        id: x.id,
        kind: 'update_customer',
        pk: a.customer,
        set: { remark: x.remark, tags: x.tags, grade: 'A' },
      })),
    id.map((x): Change => ({
      id: x,
      kind: 'update_reply',
      pk: a.reply,
      set: { status: 'cancelled' },
    })),
  )
}

/** A change that must make its batch fail: poisoned, mistyped, foreign or malformed. */
function badChange(w: HostileWorld): fc.Arbitrary<unknown> {
  const { a, b } = w
  const setPath = (o: unknown, path: string[], v: unknown): unknown => {
    const copy = structuredClone(o) as Record<string, unknown>
    let cur = copy
    for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>
    cur[path.at(-1)!] = v
    return copy
  }
  const textPaths: Record<string, string[][]> = {
    insert_conversation: [
      ['row', 'chat_key'],
      ['row', 'title'],
    ],
    insert_customer: [['row', 'display_name']],
    insert_message: [
      ['row', 'text'],
      ['row', 'sender'],
      ['row', 'dedup_key'],
    ],
    update_conversation: [['set', 'title']],
    update_customer: [['set', 'remark']],
    update_reply: [['set', 'status']],
  }
  const allPaths: Record<string, string[][]> = {
    ...textPaths,
    insert_conversation: [
      ...textPaths['insert_conversation']!,
      ['row', 'id'],
      ['row', 'agent_id'],
      ['row', 'kind'],
      ['row', 'customer_id'],
      ['id'],
      ['kind'],
    ],
    // Not `mentioned`: a wrong type for a boolean could be a boolean.
    insert_message: [
      ...textPaths['insert_message']!,
      ['row', 'captured_at'],
      ['row', 'conversation_id'],
      ['row', 'direction'],
      ['id'],
    ],
  }
  const foreign: unknown[] = [
    {
      id: newId(),
      kind: 'insert_conversation',
      row: {
        id: newId(),
        agent_id: b.id,
        chat_key: 'x',
        kind: 'direct',
        title: null,
        customer_id: null,
      },
    },
    { id: newId(), kind: 'update_conversation', pk: b.conv, set: { state: 'human' } },
    { id: newId(), kind: 'update_reply', pk: b.reply, set: { status: 'cancelled' } },
    { id: newId(), kind: 'update_message', pk: b.msgs[0], set: { answered_by: 'human' } },
    { id: newId(), kind: 'update_customer', pk: b.customer, set: { grade: 'D' } },
    {
      id: newId(),
      kind: 'insert_customer',
      row: { id: b.customer, agent_id: a.id, display_name: 'mine' },
    },
    {
      id: newId(),
      kind: 'insert_conversation',
      row: {
        id: newId(),
        agent_id: a.id,
        chat_key: 'c',
        kind: 'direct',
        title: null,
        customer_id: b.customer,
      },
    },
    {
      id: newId(),
      kind: 'insert_reply',
      row: {
        id: newId(),
        conversation_id: a.conv,
        agent_id: a.id,
        message_ids: [b.msgs[1]],
        text: 'x',
        origin: 'local',
        confidence: null,
        sources: [],
        status: 'queued',
        sent_at: null,
      },
    },
    {
      id: newId(),
      kind: 'insert_reply',
      row: {
        id: newId(),
        conversation_id: b.conv,
        agent_id: a.id,
        message_ids: [],
        text: 'x',
        origin: 'human',
        confidence: null,
        sources: [],
        status: 'sent',
        sent_at: null,
      },
    },
    ...b.seedBatch.map((ch) => ({
      ...ch,
      ...('row' in ch ? { row: { ...ch.row, agent_id: a.id } } : {}),
    })),
    {
      id: newId(),
      kind: 'insert_message',
      row: {
        ...(a.seedBatch[2] as Extract<Change, { kind: 'insert_message' }>).row,
        id: newId(),
        captured_at: '0000-01-01T00:00:00Z',
        dedup_key: `zero-${newId()}`,
      },
    },
  ]
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...foreign) },
    {
      weight: 3,
      arbitrary: fc.tuple(validChange(w), poisonString, fc.nat()).map(([ch, p, n]) => {
        const paths = textPaths[ch.kind] ?? [['id']]
        return setPath(ch, paths[n % paths.length]!, p)
      }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(validChange(w), wrongType, fc.nat()).map(([ch, v, n]) => {
        const paths = allPaths[ch.kind] ?? [['id']]
        return setPath(ch, paths[n % paths.length]!, v)
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          validChange(w),
          nastyString.filter((k) => !['id', 'kind', 'row', 'pk', 'set'].includes(k)),
        )
        .map(([ch, k]) => ({ ...ch, [k]: 1 })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validChange(w), nastyString)
        .map(([ch, k]) =>
          'row' in ch
            ? { ...ch, row: { ...ch.row, [`x${k}`]: 'extra' } }
            : { ...ch, set: { ...ch.set, agent_id: b.id } },
        ),
    },
    {
      weight: 1,
      arbitrary: nastyString
        .filter((k) => !/^(insert|update)_/.test(k))
        .map((k) => ({ id: newId(), kind: k, pk: a.conv, set: {} })),
    },
    { weight: 1, arbitrary: fc.oneof(wrongType, nastyString, fc.constant(null)) },
  )
}

const WRITE_REFUSED = [400, 403, 409, 413, 415] as const

export function changes(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  return fc
    .tuple(
      fc.array(validChange(w), { maxLength: 4 }),
      fc.array(badChange(w), { minLength: 1, maxLength: 2 }),
      fc.nat(),
      fc.boolean(),
    )
    .map(([good, bad, at, dupId]) => {
      const batch: unknown[] = [...good]
      for (const x of bad) batch.splice(at % (batch.length + 1), 0, x)
      if (dupId && good.length > 0) batch.push({ ...good[0]! })
      return {
        category: 'changes: batch with a bad change',
        method: 'POST',
        path: '/api/v1/changes',
        headers: { ...w.a.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ changes: batch }),
        allowed: WRITE_REFUSED,
        watch: 'all',
      }
    })
}

/** Bodies that are not what any route expects, for every POST route. */
export function replays(w: HostileWorld): fc.Arbitrary<HostileRequest> {
  const send = (by: Seat, batch: Change[], allowed: number[], replay: boolean): HostileRequest => ({
    category: 'replayed requests',
    method: 'POST',
    path: '/api/v1/changes',
    headers: { ...by.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ changes: batch }),
    allowed,
    replay,
    watch: by === w.a ? 'all' : 'secrets',
  })
  return fc.constantFrom(
    send(w.a, w.a.seedBatch, [200], true),
    send(w.b, w.b.seedBatch, [200], true),
    send(w.a, w.b.seedBatch, [403], false),
  )
}
