/**
 * Applies one outbox batch of an agent in a single transaction. Each change is idempotent by
 * its client id (a replayed batch writes nothing), validated against schema/ and the agent's
 * ownership; one bad change rejects the whole batch with a message naming it.
 */
import type { Db, Queryable } from '@kefu/migrations'
import type { Change, ChangeResult } from '@kefu/schema'
import { ApiError, badRequest, fromDatabase } from '../http/errors.ts'

const reject = (i: number, field: string, message: string): ApiError =>
  badRequest(`changes[${i}].${field}: ${message}`, `changes[${i}].${field}`)
const forbidden = (i: number, field: string, message: string): ApiError =>
  new ApiError(403, { code: 'forbidden', message: `changes[${i}].${field}: ${message}` })

/** Reply status moves only forward; these are the states each status may follow. */
const REPLY_FROM: Record<string, string[]> = {
  sending: ['queued', 'failed'],
  sent: ['queued', 'sending', 'failed'],
  failed: ['queued', 'sending'],
  cancelled: ['queued', 'sending', 'failed'],
}

async function owns(tx: Queryable, table: 'conversations' | 'replies' | 'messages' | 'customers', id: string, agentId: string) {
  const r = await tx.query<{ agent_id: string }>(`SELECT agent_id::text AS agent_id FROM ${table} WHERE id = $1::uuid`, [id])
  return r[0] ? r[0].agent_id === agentId : null
}

async function applyOne(tx: Queryable, agentId: string, c: Change, i: number): Promise<ChangeResult> {
  const seen = await tx.query(
    `INSERT INTO applied_changes (change_id, agent_id, kind) VALUES ($1::uuid, $2::uuid, $3)
     ON CONFLICT (change_id) DO NOTHING RETURNING change_id`,
    [c.id, agentId, c.kind],
  )
  if (seen.length === 0) {
    // A change id is a replay only for the agent that sent it first.
    const first = await tx.query<{ agent_id: string }>(`SELECT agent_id::text AS agent_id FROM applied_changes WHERE change_id = $1::uuid`, [c.id])
    if (first[0] && first[0].agent_id !== agentId) throw forbidden(i, 'id', 'was already used by another agent')
    return { id: c.id, status: 'duplicate' }
  }
  if ('row' in c && c.row.agent_id !== agentId)
    throw forbidden(i, 'row.agent_id', 'an agent may only write its own rows')
  switch (c.kind) {
    case 'insert_customer': {
      const r = await tx.query(
        `INSERT INTO customers (id, agent_id, display_name) VALUES ($1::uuid, $2::uuid, $3)
         ON CONFLICT DO NOTHING RETURNING id`,
        [c.row.id, agentId, c.row.display_name],
      )
      if (r.length === 0) {
        const existing = await tx.query<{ id: string; agent_id: string }>(
          `SELECT id::text AS id, agent_id::text AS agent_id FROM customers
            WHERE id = $1::uuid OR (agent_id = $2::uuid AND display_name = $3)`,
          [c.row.id, agentId, c.row.display_name],
        )
        const e = existing[0]
        if (!e || e.agent_id !== agentId) throw forbidden(i, 'row.id', 'belongs to another agent')
        return { id: c.id, status: 'duplicate', existing_id: e.id }
      }
      return { id: c.id, status: 'applied' }
    }
    case 'insert_conversation': {
      if (c.row.customer_id && (await owns(tx, 'customers', c.row.customer_id, agentId)) !== true)
        throw reject(i, 'row.customer_id', 'no such customer of this agent')
      const r = await tx.query(
        `INSERT INTO conversations (id, agent_id, chat_key, kind, title, customer_id)
         VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::uuid) ON CONFLICT DO NOTHING RETURNING id`,
        [c.row.id, agentId, c.row.chat_key, c.row.kind, c.row.title, c.row.customer_id],
      )
      if (r.length === 0) {
        const existing = await tx.query<{ id: string; agent_id: string }>(
          `SELECT id::text AS id, agent_id::text AS agent_id FROM conversations
            WHERE id = $1::uuid OR (agent_id = $2::uuid AND chat_key = $3)`,
          [c.row.id, agentId, c.row.chat_key],
        )
        const e = existing[0]
        if (!e || e.agent_id !== agentId) throw forbidden(i, 'row.id', 'belongs to another agent')
        return { id: c.id, status: 'duplicate', existing_id: e.id }
      }
      return { id: c.id, status: 'applied' }
    }
    case 'insert_message': {
      const m = c.row
      if ((await owns(tx, 'conversations', m.conversation_id, agentId)) !== true)
        throw reject(i, 'row.conversation_id', 'no such conversation of this agent')
      const r = await tx.query(
        `INSERT INTO messages (id, conversation_id, agent_id, direction, sender, text, kind, mentioned,
                               captured_at, dedup_key, origin, answered_by)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, $9::timestamptz, $10, $11, $12)
         ON CONFLICT DO NOTHING RETURNING id`,
        [m.id, m.conversation_id, agentId, m.direction, m.sender, m.text, m.kind, m.mentioned, m.captured_at, m.dedup_key, m.origin, m.answered_by],
      )
      if (r.length === 0) {
        // The conflict is on the id or on this agent's own dedup key (unique per agent). The row
        // holding the id comes first: an id taken by another agent's message is refused even
        // when the dedup key matches one of ours, and another agent's keys are never looked at.
        const existing = await tx.query<{ id: string; agent_id: string }>(
          `SELECT id::text AS id, agent_id::text AS agent_id FROM messages
            WHERE id = $1::uuid OR (agent_id = $2::uuid AND dedup_key = $3)
            ORDER BY id = $1::uuid DESC LIMIT 1`,
          [m.id, agentId, m.dedup_key],
        )
        const e = existing[0]
        if (!e || e.agent_id !== agentId) throw forbidden(i, 'row.id', 'belongs to another agent')
        return { id: c.id, status: 'duplicate', existing_id: e.id }
      }
      return { id: c.id, status: 'applied' }
    }
    case 'insert_reply': {
      const rp = c.row
      if ((await owns(tx, 'conversations', rp.conversation_id, agentId)) !== true)
        throw reject(i, 'row.conversation_id', 'no such conversation of this agent')
      if (rp.message_ids.length > 0) {
        // Ids the cloud never kept (a message deduplicated to another id) may dangle; ids of
        // someone else's messages may not.
        const foreign = await tx.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM messages
            WHERE id = ANY($1::uuid[]) AND (agent_id <> $2::uuid OR conversation_id <> $3::uuid)`,
          [rp.message_ids, agentId, rp.conversation_id],
        )
        if (foreign[0]!.n > 0) throw forbidden(i, 'row.message_ids', 'names a message outside this conversation of this agent')
      }
      const r = await tx.query(
        `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin, confidence, sources, status, sent_at)
         VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid[], $5, $6, $7, $8::text::jsonb, $9, $10::timestamptz)
         ON CONFLICT DO NOTHING RETURNING id`,
        [rp.id, rp.conversation_id, agentId, rp.message_ids, rp.text, rp.origin, rp.confidence, JSON.stringify(rp.sources), rp.status, rp.sent_at],
      )
      if (r.length === 0) {
        if ((await owns(tx, 'replies', rp.id, agentId)) !== true) throw forbidden(i, 'row.id', 'belongs to another agent')
        return { id: c.id, status: 'duplicate', existing_id: rp.id }
      }
      return { id: c.id, status: 'applied' }
    }
    case 'update_reply': {
      const o = await owns(tx, 'replies', c.pk, agentId)
      if (o === null) throw reject(i, 'pk', 'no such reply')
      if (!o) throw forbidden(i, 'pk', 'belongs to another agent')
      const r = await tx.query(
        `UPDATE replies SET status = $3, sent_at = coalesce($4::timestamptz, sent_at), error = $5, updated_at = now()
          WHERE id = $1::uuid AND agent_id = $2::uuid AND status = ANY($6::text[]) RETURNING id`,
        [c.pk, agentId, c.set.status, c.set.sent_at ?? null, c.set.error ?? null, REPLY_FROM[c.set.status]],
      )
      // A status already reached (or passed) is not an error: the change is simply spent.
      return { id: c.id, status: r.length > 0 ? 'applied' : 'duplicate' }
    }
    case 'update_conversation': {
      const o = await owns(tx, 'conversations', c.pk, agentId)
      if (o === null) throw reject(i, 'pk', 'no such conversation')
      if (!o) throw forbidden(i, 'pk', 'belongs to another agent')
      const sets: string[] = []
      const params: unknown[] = [c.pk]
      for (const [k, v] of Object.entries(c.set)) {
        if (v === undefined) continue
        params.push(v)
        sets.push(`${k} = $${params.length}${k === 'bot_paused_until' ? '::timestamptz' : ''}`)
      }
      if (sets.length === 0) throw reject(i, 'set', 'has nothing to change')
      await tx.query(`UPDATE conversations SET ${sets.join(', ')}, updated_at = now() WHERE id = $1::uuid`, params)
      return { id: c.id, status: 'applied' }
    }
    case 'update_message': {
      const o = await owns(tx, 'messages', c.pk, agentId)
      if (o === null) throw reject(i, 'pk', 'no such message')
      if (!o) throw forbidden(i, 'pk', 'belongs to another agent')
      await tx.query(`UPDATE messages SET answered_by = $2 WHERE id = $1::uuid AND answered_by IS NULL`, [c.pk, c.set.answered_by])
      return { id: c.id, status: 'applied' }
    }
    case 'update_customer': {
      const o = await owns(tx, 'customers', c.pk, agentId)
      if (o === null) throw reject(i, 'pk', 'no such customer')
      if (!o) throw forbidden(i, 'pk', 'belongs to another agent')
      const sets: string[] = []
      const params: unknown[] = [c.pk]
      for (const [k, v] of Object.entries(c.set)) {
        if (v === undefined) continue
        params.push(v)
        sets.push(`${k} = $${params.length}${k === 'tags' ? '::text[]' : ''}`)
      }
      if (sets.length === 0) throw reject(i, 'set', 'has nothing to change')
      await tx.query(`UPDATE customers SET ${sets.join(', ')} WHERE id = $1::uuid`, params)
      return { id: c.id, status: 'applied' }
    }
  }
}

/** Applies `changes` for `agentId` atomically; throws ApiError (4xx) and writes nothing on any bad change. */
export async function applyChanges(db: Db, agentId: string, changes: Change[]): Promise<ChangeResult[]> {
  return db.transaction(async (tx) => {
    // Origin tagging: the log records who wrote these rows, so workers can tell.
    await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [`agent:${agentId}`])
    const out: ChangeResult[] = []
    for (let i = 0; i < changes.length; i++) {
      try {
        out.push(await applyOne(tx, agentId, changes[i]!, i))
      } catch (err) {
        // A value the schema let through but Postgres refuses (say, year 0000): still this change's fault.
        throw fromDatabase(err, `changes[${i}]`) ?? err
      }
    }
    return out
  })
}
