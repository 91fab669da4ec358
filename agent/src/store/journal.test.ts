import { afterEach, expect, test } from 'vitest'
import Database from 'better-sqlite3'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { newId, type Change } from '@kefu/schema'
import { createCipher } from './crypto.ts'
import { openJournal } from './journal.ts'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kefu-journal-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const NAME = '王秘密客户'
const TEXT = '我的地址是朝阳区建国路88号'
const folderHas = (dir: string, needle: string) =>
  readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(Buffer.from(needle)))

const message = (text: string): Change => ({
  id: newId(),
  kind: 'insert_message',
  row: {
    id: newId(),
    conversation_id: newId(),
    agent_id: newId(),
    direction: 'in',
    sender: null,
    text,
    kind: 'text',
    mentioned: false,
    captured_at: new Date().toISOString(),
    dedup_key: 'k',
    origin: 'agent',
    answered_by: null,
  },
})

test('chat checkpoints are found by name, but the name is not in the file', () => {
  const dir = tempDir()
  const j = openJournal(dir, createCipher(randomBytes(32)))
  j.append([message(TEXT)], [[`chat:${NAME}`, { tail: [`customer||${TEXT}`], counts: {} }]])
  expect(j.get(`chat:${NAME}`)).toEqual({ tail: [`customer||${TEXT}`], counts: {} })
  expect(j.get('chat:someone else')).toBeUndefined()
  j.close()
  expect(folderHas(dir, NAME)).toBe(false)
  expect(folderHas(dir, TEXT)).toBe(false)
})

test('a journal that stored chat names in the clear is re-keyed and the names wiped', () => {
  const dir = tempDir()
  const cipher = createCipher(randomBytes(32))
  openJournal(dir, cipher).close()
  // What an older agent wrote: the kv key in the clear.
  const raw = new Database(join(dir, 'journal.db'))
  raw
    .prepare(`INSERT INTO kv (key, value) VALUES (?, ?)`)
    .run(`chat:${NAME}`, cipher.sealJson({ tail: ['x'], counts: { x: 1 } }, `kv:chat:${NAME}`))
  raw.close()
  expect(folderHas(dir, NAME)).toBe(true)
  const j = openJournal(dir, cipher)
  expect(j.get(`chat:${NAME}`)).toEqual({ tail: ['x'], counts: { x: 1 } })
  j.close()
  expect(folderHas(dir, NAME)).toBe(false)
})

test('outbox entries are sealed, replayed in order and acked', () => {
  const dir = tempDir()
  const j = openJournal(dir, createCipher(randomBytes(32)))
  const changes = [message('一'), message('二'), message('三')]
  expect(j.hasPending()).toBe(false)
  const seqs = j.append(changes)
  expect(j.hasPending()).toBe(true)
  // Appending the same change again is a no-op.
  expect(j.append([changes[0]!])).toEqual([seqs[0]])
  expect(j.pending(10).map((e) => e.change)).toEqual(changes)
  j.markAcked([seqs[0]!])
  expect(j.depth()).toBe(2)
  j.markRejected(seqs[1]!, 'refused')
  expect([j.depth(), j.rejectedCount(), j.lastSeq()]).toEqual([1, 1, seqs[2]])
  j.markAcked([seqs[2]!])
  expect(j.hasPending()).toBe(false)
  // A rejected change is not replayed.
  expect(j.since(0).map((e) => e.seq)).toEqual([seqs[0], seqs[2]])
  j.saveCheckpoint(new Uint8Array([1, 2, 3]), seqs[0]!)
  expect(j.since(0).map((e) => e.seq)).toEqual([seqs[2]])
  expect([...Buffer.concat([...j.readCheckpoint()!.chunks])]).toEqual([1, 2, 3])
  j.close()
})

test('the checkpoint is read back piece by piece, sealed (no image bytes in the clear in the file)', () => {
  const dir = tempDir()
  const j = openJournal(dir, createCipher(randomBytes(32)))
  expect(j.readCheckpoint()).toBeNull()
  // Larger than a read piece, in several chunks, with a marker the file must not show.
  const marker = Buffer.from('检查点明文标记')
  const parts = [randomBytes(700_000), marker, randomBytes(900_000)]
  j.saveCheckpoint(parts, 7)
  const cp = j.readCheckpoint()!
  expect(cp.coveredSeq).toBe(7)
  const chunks = [...cp.chunks]
  expect(chunks.length).toBeGreaterThan(1)
  expect(Buffer.concat(chunks).equals(Buffer.concat(parts))).toBe(true)
  j.close()
  expect(folderHas(dir, marker.toString())).toBe(false)
})
