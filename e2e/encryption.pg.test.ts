/**
 * Encryption at rest, end to end: an agent with a known passphrase captures messages carrying
 * marker texts, receives replies carrying others, checkpoints, stops; the same folder is then
 * run by an agent process that is killed with SIGKILL mid-traffic. Nothing readable may be
 * left in the folder: every file is searched byte by byte (UTF-8, UTF-16, inside any gzip
 * member). A wrong passphrase fails with WrongKeyError and changes no byte; the right one
 * still opens everything, and what was captured reaches the cloud exactly once.
 */
import { afterAll, expect, test } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { ChildProcess } from 'node:child_process'
import { pino } from 'pino'
import type { Db } from '@kefu/migrations'
import {
  createKefuAgent,
  keyFromPassphrase,
  loadAgentConfig,
  runAgent,
  sharedSecret,
  WrongKeyError,
} from '@kefu/agent'
import { createSimDriver } from '../agent/src/driver/sim-driver.ts'
import { startTestCloud, AGENT_SECRET, type TestCloud } from '../cloud/src/testing/test-cloud.ts'
import { forkAgent, kill9 } from './support/processes.ts'
import { listFiles, scanForPlaintext } from './support/plaintext-scan.ts'
import { startWeChatDouble, type WeChatDouble } from './support/wechat-double.ts'
import { until } from './support/until.ts'

const PASSPHRASE = '客服 passphrase 2026!'
// Customer text, reply text and a customer's name: none may be readable on disk.
const MARK = {
  zh: '暗号甲乙丙丁戊己',
  ascii: 'PLAINTEXT-MARKER-7f3a',
  replyZh: '回执密语庚辛壬癸',
  replyAscii: 'REPLY-MARKER-9c1e',
  name: '秘密客户',
}
const NEEDLES = Object.values(MARK)
const logger = pino({ level: 'silent' })

const dataDir = mkdtempSync(join(tmpdir(), 'kefu-encrypted-'))
let cloud: TestCloud & { dropDb(): Promise<void> }
let child: ChildProcess | null = null
let wechat: WeChatDouble | null = null
afterAll(async () => {
  if (child) await kill9(child)
  await wechat?.close()
  await cloud?.destroy()
  rmSync(dataDir, { recursive: true, force: true })
})

const count = async (db: Db, sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(sql, params))[0]!.n
const customerText = (i: number) => `${MARK.zh}第${i}号：订单 ${MARK.ascii}-${i} 什么时候到？`

/** What the reply worker would do: one reply per unanswered message, carrying the markers. */
const answerAll = (db: Db) =>
  db.query(
    `INSERT INTO replies (id, conversation_id, agent_id, message_ids, text, origin)
     SELECT gen_random_uuid(), m.conversation_id, m.agent_id, ARRAY[m.id],
            '${MARK.replyZh}：' || m.id::text || ' ${MARK.replyAscii}', 'rule'
       FROM messages m
      WHERE m.direction = 'in' AND NOT EXISTS (SELECT 1 FROM replies r WHERE m.id = ANY(r.message_ids))`,
  )

/** Every file's bytes, to prove that nothing changed. */
const fingerprint = () =>
  Object.fromEntries(
    listFiles(dataDir).map((f) => [f, createHash('sha256').update(readFileSync(f)).digest('hex')]),
  )

test('the scan finds marker text in every encoding it claims to look at', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-scan-control-'))
  try {
    writeFileSync(
      join(dir, 'utf8'),
      Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(`x${MARK.zh}y`)]),
    )
    writeFileSync(join(dir, 'utf16'), Buffer.from(`..${MARK.ascii}..`, 'utf16le'))
    // A gzip member in the middle of other bytes, cut short like a torn write.
    const gz = gzipSync(Buffer.from(`${'填充'.repeat(2000)}${MARK.replyZh}${'填充'.repeat(2000)}`))
    writeFileSync(
      join(dir, 'image'),
      Buffer.concat([Buffer.from('header'), gz.subarray(0, gz.length - 8), Buffer.from('tail')]),
    )
    const r = scanForPlaintext(dir, NEEDLES)
    const found = r.findings.map((f) => [f.file, f.needle, f.encoding, f.gzipAt !== null])
    expect(found).toEqual(
      expect.arrayContaining([
        ['image', MARK.replyZh, 'utf8', true],
        ['utf16', MARK.ascii, 'utf16le', false],
        ['utf8', MARK.zh, 'utf8', false],
      ]),
    )
    // (An ASCII needle in UTF-16LE is also UTF-16BE one byte on; nothing else is found.)
    expect(new Set(r.findings.map((f) => f.needle))).toEqual(
      new Set([MARK.replyZh, MARK.ascii, MARK.zh]),
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('no customer text readable in the data folder, after a clean stop and after kill -9; wrong passphrase changes nothing', async () => {
  cloud = await startTestCloud({ engine: 'postgres', longPollMs: 1000 })
  // An agent with its own secret: the last run goes through `kefu agent`'s token login.
  const { id: agentId, secret } = await cloud.createAgentWithSecret('encrypted')
  const key = await keyFromPassphrase(dataDir, PASSPHRASE)

  // 1. In process: capture, receive replies, checkpoint, stop cleanly.
  const driver = createSimDriver()
  const agent = createKefuAgent({
    cloudUrl: cloud.url,
    agentId,
    credentials: sharedSecret(agentId, AGENT_SECRET),
    dataDir,
    key,
    driver,
    logger,
    pollMs: 50,
    pacing: { jitterMs: 0, typingBaseMs: 0, typingPerCharMs: 0, minGapMs: 1000 },
  })
  await agent.start()
  for (let i = 0; i < 6; i++) driver.pushCustomerMessage(`${MARK.name}${i % 2}`, customerText(i))
  await until(
    async () => (await count(cloud.db, `SELECT count(*)::int AS n FROM messages`)) === 6,
    20_000,
    'messages in the cloud',
  )
  await answerAll(cloud.db)
  await until(() => driver.sent().length >= 2, 20_000, 'replies synced down and sent')
  expect(driver.sent()[0]!.text).toContain(MARK.replyAscii)
  await agent.checkpoint()
  await agent.stop()

  // 2. In a child process on the same folder, killed with SIGKILL in the middle of traffic
  //    (checkpointing every half second, replies arriving, the outbox busy).
  wechat = await startWeChatDouble()
  const f = forkAgent({
    CLOUD_URL: cloud.url,
    AGENT_ID: agentId,
    AGENT_SECRET,
    AGENT_DATA: dataDir,
    AGENT_PASSPHRASE: PASSPHRASE,
    WECHAT_URL: wechat.url,
    CHECKPOINT_MS: '500',
  })
  child = f.child
  await f.ready
  let pushed = 0
  const push = (n: number) => {
    for (let k = 0; k < n; k++, pushed++)
      wechat!.push(`${MARK.name}${10 + (pushed % 3)}`, customerText(100 + pushed))
  }
  push(20)
  await until(
    async () => (await count(cloud.db, `SELECT count(*)::int AS n FROM messages`)) >= 16,
    20_000,
    'child capturing',
  )
  await answerAll(cloud.db)
  await until(() => wechat!.sent().length >= 3, 20_000, 'child sending replies')
  push(20)
  await new Promise((r) => setTimeout(r, 700))
  push(20)
  await kill9(child)
  child = null
  const inCloudAtKill = await count(cloud.db, `SELECT count(*)::int AS n FROM messages`)

  // 3. Nothing readable anywhere in the folder.
  const files = listFiles(dataDir).map((p) => p.slice(dataDir.length + 1))
  expect(files).toEqual(expect.arrayContaining(['journal.db', 'key.json']))
  const afterKill = scanForPlaintext(dataDir, NEEDLES)
  expect(afterKill.bytes).toBeGreaterThan(50_000) // the checkpoint and the outbox are in there
  expect(afterKill.findings).toEqual([])

  // 4. A wrong passphrase: a clear error, and not one byte changed.
  const before = fingerprint()
  await expect(keyFromPassphrase(dataDir, 'not the passphrase')).rejects.toThrow(WrongKeyError)
  const config = (passphrase: string) =>
    loadAgentConfig(
      ['--cloud', cloud.url, '--agent-id', agentId, '--data', dataDir, '--driver', 'sim'],
      {
        KEFU_AGENT_SECRET: secret,
        KEFU_AGENT_PASSPHRASE: passphrase,
      },
    )
  const err = await runAgent(config('not the passphrase'), logger).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(WrongKeyError)
  expect((err as Error).message).toMatch(/wrong passphrase/)
  // A wrong key handed over directly (a keystore gone wrong) is refused the same way.
  expect(() =>
    createKefuAgent({
      cloudUrl: cloud.url,
      agentId,
      credentials: sharedSecret(agentId, AGENT_SECRET),
      dataDir,
      key: Buffer.alloc(32, 7),
      logger,
    }),
  ).toThrow(WrongKeyError)
  expect(fingerprint()).toEqual(before)

  // 5. The right passphrase opens everything: the replica (checkpoint + journal) holds what was
  //    captured before the kill, the outbox drains, and nothing reaches the cloud twice.
  const sim = createSimDriver()
  const running = await runAgent(config(PASSPHRASE), logger, { driver: sim })
  try {
    const local = await running.agent.replica.db.query<{ text: string }>(
      `SELECT text FROM messages_all WHERE direction = 'in'`,
    )
    expect(local.length).toBeGreaterThanOrEqual(inCloudAtKill)
    expect(local.every((m) => m.text.includes(MARK.ascii))).toBe(true)
    await until(() => running.agent.status().outboxDepth === 0, 60_000, 'outbox drained')
    const texts = (await cloud.db.query<{ text: string }>(`SELECT text FROM messages`)).map(
      (r) => r.text,
    )
    expect(new Set(texts).size).toBe(texts.length)
    expect(texts.length).toBeGreaterThanOrEqual(local.length)
    await until(
      async () =>
        (await count(running.agent.replica.db, `SELECT count(*)::int AS n FROM messages`)) ===
        texts.length,
      30_000,
      'replica converged',
    )
    console.log(
      JSON.stringify({
        captured: texts.length,
        pushed: 6 + pushed,
        inCloudAtKill,
        scanned: afterKill,
      }),
    )
  } finally {
    await running.stop()
  }
  // After a clean stop (final checkpoint, status file) the folder is as unreadable.
  const final = scanForPlaintext(dataDir, NEEDLES)
  expect(final.files).toBeGreaterThanOrEqual(2)
  expect(final.findings).toEqual([])
}, 120_000)
