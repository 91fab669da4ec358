/**
 * An agent writes only rows it owns, and a batch with one bad change writes nothing, with a
 * message naming the change and the field.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { newId, type Change } from '@kefu/schema'
import { startTestCloud, type TestCloud } from '../testing/test-cloud.ts'

type Err = { error: { code: string; message: string; field?: string } }

describe('agent writes', () => {
  let c: TestCloud
  let mine: {
    id: string
    h: Record<string, string>
    conv: string
    msg: string
    reply: string
    customer: string
  }
  let theirs: {
    id: string
    h: Record<string, string>
    conv: string
    msg: string
    reply: string
    customer: string
  }

  const send = (h: Record<string, string>, changes: unknown[]) =>
    fetch(`${c.url}/api/v1/changes`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify({ changes }),
    })

  async function seed(name: string) {
    const a = await c.createAgentWithSecret(name)
    const h = c.bearer((await c.loginAgent(a.id, a.secret)).access_token)
    const [conv, msg, reply, customer] = [newId(), newId(), newId(), newId()]
    const r = await send(h, [
      {
        id: newId(),
        kind: 'insert_customer',
        row: { id: customer, agent_id: a.id, display_name: `${name}-customer` },
      },
      {
        id: newId(),
        kind: 'insert_conversation',
        row: {
          id: conv,
          agent_id: a.id,
          chat_key: `${name}-chat`,
          kind: 'direct',
          title: null,
          customer_id: customer,
        },
      },
      {
        id: newId(),
        kind: 'insert_message',
        row: {
          id: msg,
          conversation_id: conv,
          agent_id: a.id,
          direction: 'in',
          sender: 'c',
          text: `${name} hello`,
          kind: 'text',
          mentioned: false,
          captured_at: new Date().toISOString(),
          dedup_key: `dedup-${name}-1`,
          origin: 'agent',
          answered_by: null,
        },
      },
      {
        id: newId(),
        kind: 'insert_reply',
        row: {
          id: reply,
          conversation_id: conv,
          agent_id: a.id,
          message_ids: [msg],
          text: 'hi',
          origin: 'local',
          confidence: 1,
          sources: [],
          status: 'queued',
          sent_at: null,
        },
      },
    ] satisfies Change[])
    expect(r.status, await r.clone().text()).toBe(200)
    return { id: a.id, h, conv, msg, reply, customer }
  }

  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        ['customers', 'conversations', 'messages', 'replies', 'applied_changes'].map(
          async (t) =>
            [
              t,
              (await c.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n,
            ] as const,
        ),
      ),
    )
  const snapshot = async () =>
    (
      await c.db.query<{ s: string }>(
        `SELECT (SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM conversations x) ||
              (SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM messages x) ||
              (SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM replies x) ||
              (SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) FROM customers x) AS s`,
      )
    )[0]!.s

  beforeAll(async () => {
    c = await startTestCloud()
    mine = await seed('mine')
    theirs = await seed('theirs')
  })
  afterAll(async () => c.destroy())

  const good = (): Change => ({
    id: newId(),
    kind: 'insert_conversation',
    row: {
      id: newId(),
      agent_id: mine.id,
      chat_key: `ok-${newId()}`,
      kind: 'direct',
      title: 't',
      customer_id: null,
    },
  })

  test('each way of touching another agent’s rows is refused, whole batch, naming the change and field', async () => {
    const bad: [Change | Record<string, unknown>, number, string][] = [
      [
        {
          id: newId(),
          kind: 'insert_conversation',
          row: {
            id: newId(),
            agent_id: theirs.id,
            chat_key: 'x',
            kind: 'direct',
            title: null,
            customer_id: null,
          },
        },
        403,
        'row.agent_id',
      ],
      [
        {
          id: newId(),
          kind: 'insert_conversation',
          row: {
            id: theirs.conv,
            agent_id: mine.id,
            chat_key: 'steal',
            kind: 'direct',
            title: null,
            customer_id: null,
          },
        },
        403,
        'row.id',
      ],
      [
        {
          id: newId(),
          kind: 'insert_conversation',
          row: {
            id: newId(),
            agent_id: mine.id,
            chat_key: 'c',
            kind: 'direct',
            title: null,
            customer_id: theirs.customer,
          },
        },
        400,
        'row.customer_id',
      ],
      [
        { id: newId(), kind: 'update_conversation', pk: theirs.conv, set: { state: 'human' } },
        403,
        'pk',
      ],
      [
        { id: newId(), kind: 'update_reply', pk: theirs.reply, set: { status: 'cancelled' } },
        403,
        'pk',
      ],
      [
        { id: newId(), kind: 'update_message', pk: theirs.msg, set: { answered_by: 'human' } },
        403,
        'pk',
      ],
      [
        { id: newId(), kind: 'update_customer', pk: theirs.customer, set: { grade: 'A' } },
        403,
        'pk',
      ],
      [
        {
          id: newId(),
          kind: 'insert_customer',
          row: { id: theirs.customer, agent_id: mine.id, display_name: 'mine now' },
        },
        403,
        'row.id',
      ],
      [
        {
          id: newId(),
          kind: 'insert_message',
          row: {
            id: newId(),
            conversation_id: theirs.conv,
            agent_id: mine.id,
            direction: 'in',
            sender: null,
            text: 'x',
            kind: 'text',
            mentioned: false,
            captured_at: new Date().toISOString(),
            dedup_key: `dedup-${newId()}`,
            origin: 'agent',
            answered_by: null,
          },
        },
        400,
        'row.conversation_id',
      ],
      [
        {
          id: newId(),
          kind: 'insert_message',
          row: {
            id: theirs.msg,
            conversation_id: mine.conv,
            agent_id: mine.id,
            direction: 'in',
            sender: null,
            text: 'x',
            kind: 'text',
            mentioned: false,
            captured_at: new Date().toISOString(),
            dedup_key: `dedup-${newId()}`,
            origin: 'agent',
            answered_by: null,
          },
        },
        403,
        'row.id',
      ],
      [
        {
          id: newId(),
          kind: 'insert_reply',
          row: {
            id: newId(),
            conversation_id: mine.conv,
            agent_id: mine.id,
            message_ids: [theirs.msg],
            text: 'x',
            origin: 'local',
            confidence: null,
            sources: [],
            status: 'queued',
            sent_at: null,
          },
        },
        403,
        'row.message_ids',
      ],
      [
        {
          id: newId(),
          kind: 'insert_reply',
          row: {
            id: theirs.reply,
            conversation_id: mine.conv,
            agent_id: mine.id,
            message_ids: [],
            text: 'x',
            origin: 'local',
            confidence: null,
            sources: [],
            status: 'queued',
            sent_at: null,
          },
        },
        403,
        'row.id',
      ],
      // Schema-valid, database-invalid: year 0000 is a 400 naming the change, not a 500.
      [
        {
          id: newId(),
          kind: 'insert_message',
          row: {
            id: newId(),
            conversation_id: mine.conv,
            agent_id: mine.id,
            direction: 'in',
            sender: null,
            text: 'x',
            kind: 'text',
            mentioned: false,
            captured_at: '0000-01-01T00:00:00Z',
            dedup_key: `dedup-${newId()}`,
            origin: 'agent',
            answered_by: null,
          },
        },
        400,
        '',
      ],
      [
        {
          id: newId(),
          kind: 'insert_conversation',
          row: {
            id: newId(),
            agent_id: mine.id,
            chat_key: 'nul\u0000key',
            kind: 'direct',
            title: null,
            customer_id: null,
          },
        },
        400,
        'row.chat_key',
      ],
      [
        {
          id: newId(),
          kind: 'insert_conversation',
          row: {
            id: newId(),
            agent_id: mine.id,
            chat_key: 'lone \ud800',
            kind: 'direct',
            title: null,
            customer_id: null,
          },
        },
        400,
        'row.chat_key',
      ],
      [
        {
          id: newId(),
          kind: 'update_conversation',
          pk: mine.conv,
          set: { state: 'human', agent_id: theirs.id },
        },
        400,
        'set',
      ],
    ]
    const before = await counts()
    const sum = await snapshot()
    for (const [change, status, field] of bad)
      for (const at of [0, 2]) {
        // Valid changes around the bad one: they must be rolled back too.
        const batch = [good(), good(), good()]
        batch.splice(at, 0, change as Change)
        const r = await send(mine.h, batch)
        const body = (await r.json()) as Err
        const what = `${JSON.stringify(change).slice(0, 120)} at ${at}`
        expect(r.status, what).toBe(status)
        // The message names the change and the field (`changes[2].row.agent_id: …`); a 400 also
        // carries it as `field` (the wire's forbidden error has no field slot).
        const path = field ? `changes[${at}].${field}` : `changes[${at}]`
        expect(body.error.message, what).toContain(path)
        if (status === 400) expect(body.error.field ?? '', what).toContain(path)
      }
    expect(await counts()).toEqual(before)
    expect(await snapshot()).toBe(sum)
  })

  test('a change id is a replay only for the agent that sent it; a replayed batch writes nothing twice', async () => {
    const ch = good()
    expect((await send(mine.h, [ch])).status).toBe(200)
    const before = await counts()
    const again = await send(mine.h, [ch])
    expect(((await again.json()) as { results: { status: string }[] }).results).toEqual([
      { id: ch.id, status: 'duplicate' },
    ])
    const hijack = await send(theirs.h, [
      {
        ...ch,
        row: {
          ...(ch as Extract<Change, { kind: 'insert_conversation' }>).row,
          agent_id: theirs.id,
        },
      },
    ])
    expect(hijack.status).toBe(403)
    expect(((await hijack.json()) as Err).error.message).toMatch(/^changes\[0\]\.id: /)
    expect(await counts()).toEqual(before)
  })

  test('a dedup key is unique per agent: two agents may use the same one, and a re-capture is a duplicate of one’s own message only', async () => {
    const key = `dedup-shared-${newId()}`
    const message = (who: typeof mine, id = newId(), dedup_key = key): Change => ({
      id: newId(),
      kind: 'insert_message',
      row: {
        id,
        conversation_id: who.conv,
        agent_id: who.id,
        direction: 'in',
        sender: null,
        text: '在吗',
        kind: 'text',
        mentioned: false,
        captured_at: new Date().toISOString(),
        dedup_key,
        origin: 'agent',
        answered_by: null,
      },
    })
    type Results = { results: { id: string; status: string; existing_id?: string }[] }
    const results = async (h: Record<string, string>, changes: Change[]) => {
      const r = await send(h, changes)
      expect(r.status, await r.clone().text()).toBe(200)
      return ((await r.json()) as Results).results
    }
    const ours = message(mine)
    const theirsToo = message(theirs)
    expect(await results(mine.h, [ours])).toEqual([{ id: ours.id, status: 'applied' }])
    expect(await results(theirs.h, [theirsToo])).toEqual([{ id: theirsToo.id, status: 'applied' }])
    const stored = await c.db.query<{ agent_id: string }>(
      `SELECT agent_id::text AS agent_id FROM messages WHERE dedup_key = $1 ORDER BY agent_id`,
      [key],
    )
    expect(stored.map((r) => r.agent_id)).toEqual([mine.id, theirs.id].sort())

    // A replayed change, and the same bubble captured again under a fresh id: duplicates, each
    // pointing at the agent's own message.
    expect(await results(theirs.h, [theirsToo])).toEqual([
      { id: theirsToo.id, status: 'duplicate' },
    ])
    const recaptured = message(mine)
    const ownId = (ours as Extract<Change, { kind: 'insert_message' }>).row.id
    expect(await results(mine.h, [recaptured])).toEqual([
      { id: recaptured.id, status: 'duplicate', existing_id: ownId },
    ])

    // Another agent's message id stays off limits, even with a key of one's own (stored before
    // theirs, so a lookup that took whichever row came first would call this a duplicate).
    const before = await counts()
    const steal = await send(mine.h, [message(mine, theirs.msg, 'dedup-mine-1')])
    expect(steal.status).toBe(403)
    expect(((await steal.json()) as Err).error.message).toMatch(/^changes\[0\]\.row\.id: /)
    expect(await counts()).toEqual(before)
  })
})
