/**
 * The local (optimistic) effect of an outbox change on the replica. It writes only the *_local
 * overlay tables; the synced tables belong to pglite-sync, and the synced row replaces the
 * overlay when it arrives. Idempotent, so a restored replica can replay the journal.
 */
import type { Queryable } from '@kefu/migrations'
import type { Change } from '@kefu/schema'

export async function applyLocal(tx: Queryable, c: Change, now: Date): Promise<void> {
  const ts = now.toISOString()
  switch (c.kind) {
    case 'insert_customer':
      await tx.query(
        `INSERT INTO customers_local (id, agent_id, display_name, remark, grade, tags, first_seen_at, last_seen_at)
         SELECT $1::uuid, $2::uuid, $3, NULL, 'C', '{}', $4::timestamptz, $4::timestamptz
          WHERE NOT EXISTS (SELECT 1 FROM customers WHERE id = $1::uuid)
         ON CONFLICT (id) DO NOTHING`,
        [c.row.id, c.row.agent_id, c.row.display_name, ts],
      )
      return
    case 'insert_conversation':
      await tx.query(
        `INSERT INTO conversations_local (id, agent_id, chat_key, kind, title, customer_id, state, bot_paused_until, handler, created_at, updated_at)
         SELECT $1::uuid, $2::uuid, $3, $4, $5, $6::uuid, 'unhandled', NULL, NULL, $7::timestamptz, $7::timestamptz
          WHERE NOT EXISTS (SELECT 1 FROM conversations WHERE id = $1::uuid)
         ON CONFLICT (id) DO NOTHING`,
        [c.row.id, c.row.agent_id, c.row.chat_key, c.row.kind, c.row.title, c.row.customer_id, ts],
      )
      return
    case 'insert_message': {
      const m = c.row
      await tx.query(
        `INSERT INTO messages_local (id, conversation_id, agent_id, direction, sender, text, kind, mentioned, captured_at, dedup_key, origin, answered_by, created_at)
         SELECT $1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, $9::timestamptz, $10, $11, $12, $13::timestamptz
          WHERE NOT EXISTS (SELECT 1 FROM messages
                             WHERE id = $1::uuid OR (agent_id = $3::uuid AND dedup_key = $10))
         ON CONFLICT (id) DO NOTHING`,
        [m.id, m.conversation_id, m.agent_id, m.direction, m.sender, m.text, m.kind, m.mentioned, m.captured_at, m.dedup_key, m.origin, m.answered_by, ts],
      )
      return
    }
    case 'insert_reply': {
      const r = c.row
      await tx.query(
        `INSERT INTO replies_local (id, conversation_id, agent_id, message_ids, text, origin, confidence, sources, status, error, created_at, updated_at, sent_at)
         SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid[], $5, $6, $7, $8::text::jsonb, $9, NULL, $10::timestamptz, $10::timestamptz, $11::timestamptz
          WHERE NOT EXISTS (SELECT 1 FROM replies WHERE id = $1::uuid)
         ON CONFLICT (id) DO NOTHING`,
        [r.id, r.conversation_id, r.agent_id, r.message_ids, r.text, r.origin, r.confidence, JSON.stringify(r.sources), r.status, ts, r.sent_at],
      )
      return
    }
    case 'update_reply':
      await tx.query(
        `INSERT INTO reply_status_local (id, status, sent_at, error) VALUES ($1::uuid, $2, $3::timestamptz, $4)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, sent_at = coalesce(excluded.sent_at, reply_status_local.sent_at), error = excluded.error`,
        [c.pk, c.set.status, c.set.sent_at ?? null, c.set.error ?? null],
      )
      // A locally created reply has no synced row yet: update it in place too.
      await tx.query(`UPDATE replies_local SET status = $2, sent_at = coalesce($3::timestamptz, sent_at), updated_at = $4::timestamptz WHERE id = $1::uuid`, [
        c.pk,
        c.set.status,
        c.set.sent_at ?? null,
        ts,
      ])
      return
    case 'update_message':
      await tx.query(
        `INSERT INTO message_answered_local (id, answered_by) VALUES ($1::uuid, $2) ON CONFLICT (id) DO NOTHING`,
        [c.pk, c.set.answered_by],
      )
      return
    case 'update_conversation':
      if (c.set.state !== undefined)
        await tx.query(
          `INSERT INTO conversation_state_local (id, state, handler, bot_paused_until) VALUES ($1::uuid, $2, $3, $4::timestamptz)
           ON CONFLICT (id) DO UPDATE SET state = excluded.state, handler = excluded.handler, bot_paused_until = excluded.bot_paused_until`,
          [c.pk, c.set.state, c.set.handler ?? null, c.set.bot_paused_until ?? null],
        )
      return
    case 'update_customer':
      // Customer edits come from the console; agents show the synced row.
      return
  }
}
