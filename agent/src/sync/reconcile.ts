/**
 * Reconciling what the cloud said of pushed changes with the replica's optimistic rows.
 *
 * A captured message the cloud already held under another id (same agent, same dedup key) is
 * reported `duplicate` with the id the cloud kept: our optimistic copy is the same message and
 * goes, with its local "answered" mark. (The replica's `messages_supersede` trigger does the
 * same when the synced row lands; this makes it so as soon as the cloud has answered.)
 */
import type { Queryable } from '@kefu/migrations'
import type { PushOutcome } from './uplink.ts'

/** Ids of our optimistic message copies the cloud deduplicated to another id. */
export function supersededCopies(outcomes: readonly PushOutcome[]): string[] {
  return outcomes.flatMap(({ change, result }) =>
    change.kind === 'insert_message' &&
    result?.status === 'duplicate' &&
    result.existing_id !== undefined &&
    result.existing_id !== change.row.id
      ? [change.row.id]
      : [],
  )
}

/** Drops the copies {@link supersededCopies} names; returns how many there were. */
export async function dropSupersededCopies(
  db: Queryable & { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  outcomes: readonly PushOutcome[],
): Promise<number> {
  const ids = supersededCopies(outcomes)
  if (ids.length === 0) return 0
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM message_answered_local WHERE id = ANY($1::uuid[])`, [ids])
    await tx.query(`DELETE FROM messages_local WHERE id = ANY($1::uuid[])`, [ids])
  })
  return ids.length
}
