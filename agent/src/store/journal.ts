/**
 * The agent's durable journal (SQLite via better-sqlite3, WAL, fsync on commit). It holds the
 * outbox of changes for the cloud, small encrypted key/values (driver checkpoints) and the
 * encrypted checkpoint of the in-memory replica. Every payload is sealed with the agent key:
 * the file holds ids, sequence numbers and states, never customer text.
 *
 *   append ──► pending ──push ok──► acked ──checkpoint covers it──► pruned
 *                  └──cloud rejects (4xx)──► rejected (kept, shown in status)
 */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Change } from '@kefu/schema'
import type { Cipher } from './crypto.ts'

export interface OutboxEntry {
  seq: number
  change: Change
}

export interface Journal {
  /**
   * Appends changes durably and returns their sequence numbers. `kv` entries are written in
   * the same SQLite transaction (a chat checkpoint moves exactly with the messages it covers).
   */
  append(changes: readonly Change[], kv?: ReadonlyArray<readonly [string, unknown]>): number[]
  /** The oldest pending changes, in order. */
  pending(limit: number): OutboxEntry[]
  markAcked(seqs: readonly number[]): void
  markRejected(seq: number, reason: string): void
  /** Every change after `seq` that is pending or acked (to replay into a restored replica). */
  since(seq: number): OutboxEntry[]
  depth(): number
  /** Whether anything waits to be pushed (cheaper than `depth() > 0` with a long backlog). */
  hasPending(): boolean
  rejectedCount(): number
  lastSeq(): number
  get<T>(key: string): T | undefined
  set(key: string, value: unknown): void
  /** Seals and stores the replica's image (one blob, or its chunks in order). */
  saveCheckpoint(data: Uint8Array | readonly Uint8Array[], coveredSeq: number): void
  /**
   * The stored image, opened chunk by chunk as `chunks` is iterated (a restore never holds it
   * twice); the iteration throws `CorruptDataError` at its end if it fails authentication.
   */
  readCheckpoint(): { chunks: Iterable<Buffer>; coveredSeq: number } | null
  close(): void
}

/** How much of the sealed checkpoint a restore reads (and opens) at a time. */
const CHECKPOINT_PIECE = 1 << 20

export function openJournal(dataDir: string, cipher: Cipher): Journal {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, 'journal.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec(`
    CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      change_id TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acked', 'rejected')),
      payload BLOB NOT NULL,
      reason TEXT,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
    CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS checkpoint (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      covered_seq INTEGER NOT NULL,
      taken_at INTEGER NOT NULL,
      data BLOB NOT NULL
    );
  `)
  // Keys of the kv table are pseudonyms: `chat:<key>` would put customers' names on disk.
  const kvName = (key: string) => `n:${cipher.pseudonym(`kv:${key}`)}`
  migrateClearKvNames(db, cipher, kvName)
  const insert = db.prepare(`INSERT INTO outbox (change_id, kind, payload, created_at) VALUES (?, ?, ?, ?)
                             ON CONFLICT (change_id) DO NOTHING`)
  const seqOf = db.prepare(`SELECT seq FROM outbox WHERE change_id = ?`)
  const kvSetQ = db.prepare(`INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
  // Only an append adds pending entries; while none was made since the outbox was last seen
  // empty, it still is (asked on every up-to-date of every shape, so it is not asked of SQLite).
  let maybePending = true
  const appendTx = db.transaction((changes: readonly Change[], kv: ReadonlyArray<readonly [string, unknown]>) => {
    const seqs = changes.map((c) => {
      insert.run(c.id, c.kind, cipher.sealJson(c, `outbox:${c.id}`), Date.now())
      return (seqOf.get(c.id) as { seq: number }).seq
    })
    for (const [k, v] of kv) kvSetQ.run(kvName(k), cipher.sealJson(v, `kv:${k}`))
    if (changes.length > 0) maybePending = true
    return seqs
  })
  const decode = (r: { seq: number; change_id: string; payload: Buffer }): OutboxEntry => ({
    seq: r.seq,
    change: cipher.openJson<Change>(r.payload, `outbox:${r.change_id}`),
  })
  const pendingQ = db.prepare(`SELECT seq, change_id, payload FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?`)
  const sinceQ = db.prepare(`SELECT seq, change_id, payload FROM outbox WHERE seq > ? AND state <> 'rejected' ORDER BY seq`)
  const ack = db.prepare(`UPDATE outbox SET state = 'acked' WHERE seq = ? AND state = 'pending'`)
  const ackTx = db.transaction((seqs: readonly number[]) => {
    for (const s of seqs) ack.run(s)
  })
  const kvGet = db.prepare(`SELECT value FROM kv WHERE key = ?`)
  const kvSet = db.prepare(`INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
  const saveCp = db.prepare(`INSERT INTO checkpoint (id, covered_seq, taken_at, data) VALUES (1, ?, ?, ?)
                             ON CONFLICT (id) DO UPDATE SET covered_seq = excluded.covered_seq, taken_at = excluded.taken_at, data = excluded.data`)
  const cpSize = db.prepare(`SELECT covered_seq, length(data) AS size FROM checkpoint WHERE id = 1`)
  const cpPiece = db.prepare(`SELECT substr(data, ?, ?) AS piece FROM checkpoint WHERE id = 1`)
  const prune = db.prepare(`DELETE FROM outbox WHERE state = 'acked' AND seq <= ?`)
  // Prepared once, not per call (the status asks for the counts every few seconds).
  const rejectQ = db.prepare(`UPDATE outbox SET state = 'rejected', reason = ? WHERE seq = ?`)
  const countQ = db.prepare(`SELECT count(*) AS n FROM outbox WHERE state = ?`)
  const anyPendingQ = db.prepare(`SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending') AS n`)
  const lastSeqQ = db.prepare(`SELECT coalesce(max(seq), 0) AS s FROM outbox`)
  const saveCpTx = db.transaction((sealed: Buffer, coveredSeq: number) => {
    saveCp.run(coveredSeq, Date.now(), sealed)
    // Acked changes the checkpoint already contains are no longer needed for replay.
    prune.run(coveredSeq)
  })
  return {
    append: (changes, kv = []) => appendTx(changes, kv),
    pending: (limit) => (pendingQ.all(limit) as { seq: number; change_id: string; payload: Buffer }[]).map(decode),
    markAcked: (seqs) => ackTx(seqs),
    markRejected: (seq, reason) => {
      rejectQ.run(reason.slice(0, 500), seq)
    },
    since: (seq) => (sinceQ.all(seq) as { seq: number; change_id: string; payload: Buffer }[]).map(decode),
    depth: () => (countQ.get('pending') as { n: number }).n,
    hasPending: () => {
      if (maybePending) maybePending = (anyPendingQ.get() as { n: number }).n === 1
      return maybePending
    },
    rejectedCount: () => (countQ.get('rejected') as { n: number }).n,
    lastSeq: () => (lastSeqQ.get() as { s: number }).s,
    get<T>(key: string): T | undefined {
      const r = kvGet.get(kvName(key)) as { value: Buffer } | undefined
      return r ? cipher.openJson<T>(r.value, `kv:${key}`) : undefined
    },
    set(key, value) {
      kvSet.run(kvName(key), cipher.sealJson(value, `kv:${key}`))
    },
    saveCheckpoint(data, coveredSeq) {
      saveCpTx(cipher.seal(data, 'checkpoint'), coveredSeq)
    },
    readCheckpoint() {
      const r = cpSize.get() as { covered_seq: number; size: number } | undefined
      if (!r) return null
      // The sealed blob is read a piece at a time too (SQLite seeks its overflow pages).
      function* sealed(): Generator<Buffer> {
        for (let at = 0; at < r!.size; at += CHECKPOINT_PIECE) yield (cpPiece.get(at + 1, CHECKPOINT_PIECE) as { piece: Buffer }).piece
      }
      return { chunks: cipher.openChunks(sealed(), 'checkpoint'), coveredSeq: r.covered_seq }
    },
    close: () => db.close(),
  }
}

/**
 * Journals written before kv keys were pseudonymised hold them in the clear: re-key those rows
 * and wipe the old ones (secure_delete, then a WAL checkpoint), once. Rows this key cannot
 * open are left as they are (the caller checks the key before opening the journal).
 */
function migrateClearKvNames(db: Database.Database, cipher: Cipher, kvName: (key: string) => string): void {
  const clear = db.prepare(`SELECT key, value FROM kv WHERE key NOT LIKE 'n:%'`).all() as { key: string; value: Buffer }[]
  if (clear.length === 0) return
  db.pragma('secure_delete = ON')
  const put = db.prepare(`INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`)
  const del = db.prepare(`DELETE FROM kv WHERE key = ?`)
  db.transaction(() => {
    for (const r of clear) {
      let value: unknown
      try {
        value = cipher.openJson(r.value, `kv:${r.key}`)
      } catch {
        continue
      }
      put.run(kvName(r.key), cipher.sealJson(value, `kv:${r.key}`))
      del.run(r.key)
    }
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.pragma('secure_delete = OFF')
}
