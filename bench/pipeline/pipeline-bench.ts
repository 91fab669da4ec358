/**
 * The reply pipeline under load: `npm run bench -- pipeline [--json] [options]`.
 *
 * A fresh database (`--engine auto`: a scratch database on the local Postgres test server if it
 * answers, else in-memory PGlite) gets the bench FAQ (bench/data) and an always-open rule set.
 * Customer messages from the bench queries are then written at a steady `--rate` (open loop),
 * one statement each, tagged with an agent's origin as the changes API would leave them, across
 * `--conversations` chats. The reply worker runs with debounce 0 and its production thresholds;
 * the LLM gateway's provider is the fake, in a process of its own, answering instantly: what is
 * measured is the pipeline, not a model. `--warmup` messages (default 2,000, ten seconds at
 * 200/s) go first in the same stream, unmeasured: until V8 has compiled the hot paths, every
 * pool connection has its cached plans and the provider's keep-alive pool is full, the first
 * seconds run slower.
 * `KEFU_BENCH_DUMP=FILE` writes every message's latency and commit times there.
 *
 * Latency per message = commit of the transaction that answered it (reply row + answered_by,
 * or the hand-off) − commit of the transaction that inserted it, both read from the change
 * log's commit timestamps (one clock, the database's). Then the gateway's own overhead is
 * measured separately (`measureGatewayOverhead`).
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { migrate, type Db } from '@kefu/migrations'
import { createLlmGateway } from '../../cloud/src/llm/gateway.ts'
import { measureGatewayOverhead } from '../../cloud/src/llm/gateway-overhead.ts'
import { createMetrics } from '../../cloud/src/metrics.ts'
import { llmCallRecorder } from '../../cloud/src/pipeline/llm-calls.ts'
import { createAgent, publishRules, type Chat } from '../../cloud/src/pipeline/reply-test-kit.ts'
import { createReplyWorker } from '../../cloud/src/pipeline/reply-worker.ts'
import { createLexicalEmbedder } from '../../cloud/src/rag/embedder.ts'
import { importFaqFile } from '../../cloud/src/rag/kb-import.ts'
import { createRetriever } from '../../cloud/src/rag/search.ts'
import { createLogTail } from '../../cloud/src/sync/log-tail.ts'
import { openBenchDb } from '../support/bench-db.ts'

/** Bench settings. */
export interface PipelineBenchOptions {
  /** `auto`: the local Postgres test server if it answers, else in-memory PGlite. */
  readonly engine: 'pglite' | 'postgres' | 'auto'
  /** Measured messages. */
  readonly messages: number
  /** Messages written per second (open loop: the schedule does not wait for replies). */
  readonly rate: number
  readonly conversations: number
  /** Unmeasured messages first (JIT, caches, pools). */
  readonly warmup: number
  /** Gateway calls for the overhead measure. */
  readonly overheadCalls: number
}

/** What the bench prints. */
export interface PipelineBenchResult {
  readonly messages: number
  readonly replies: number
  readonly per_s: number
  readonly p50_ms: number
  readonly p99_ms: number
  readonly duplicates: number
  readonly gateway_overhead_p99_ms: number
}

const DATA = (f: string) => fileURLToPath(new URL(`../data/${f}`, import.meta.url))
const silent = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]!
}

/**
 * One captured customer message, written as the agent's outbox write would leave it (origin
 * `agent:<id>`), in one statement: the bench measures the reply pipeline, not the changes API.
 */
async function insertMessage(db: Db, chat: Chat, text: string, n: number): Promise<string> {
  const [r] = await db.query<{ id: string }>(
    `WITH o AS (SELECT set_config('kefu.origin', 'agent:' || $2, true))
     INSERT INTO messages (id, conversation_id, agent_id, direction, sender, text, captured_at, dedup_key)
     SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'in', 'customer', $3, now(), $4 FROM o
     RETURNING id::text AS id`,
    [chat.conversationId, chat.agentId, text, `bench:${n}:${chat.conversationId}`],
  )
  return r!.id
}

/**
 * Writes `texts` at `rate`/s, the i-th to `chatOf(i)`; `onWrite(i)` runs as the i-th write starts.
 * Resolves with the message ids once all are written.
 */
async function writeAtRate(
  db: Db,
  chatOf: (i: number) => Chat,
  texts: readonly string[],
  rate: number,
  base: number,
  onWrite?: (i: number) => void,
): Promise<string[]> {
  const ids: string[] = new Array<string>(texts.length)
  const writes: Promise<void>[] = []
  const t0 = performance.now()
  for (let i = 0; i < texts.length; i++) {
    const at = t0 + (i * 1000) / rate
    const wait = at - performance.now()
    if (wait > 1) await sleep(wait)
    onWrite?.(i)
    writes.push(
      insertMessage(db, chatOf(i), texts[i]!, base + i).then((id) => {
        ids[i] = id
      }),
    )
  }
  await Promise.all(writes)
  return ids
}

/** `n` direct chats with their customers, created in one statement (setup, not measured). */
async function createChats(db: Db, agentId: string, n: number): Promise<Chat[]> {
  const rows = await db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('kefu.origin', $1, true)`, [`agent:${agentId}`])
    return tx.query<{ id: string; customer_id: string }>(
      `WITH c AS (
         INSERT INTO customers (id, agent_id, display_name)
         SELECT gen_random_uuid(), $1::uuid, 'bench-' || gen_random_uuid() FROM generate_series(1, $2::int)
         RETURNING id, display_name)
       INSERT INTO conversations (id, agent_id, chat_key, kind, title, customer_id)
       SELECT gen_random_uuid(), $1::uuid, 'chat:' || display_name, 'direct', display_name, id FROM c
       RETURNING id::text AS id, customer_id::text AS customer_id`,
      [agentId, n],
    )
  })
  return rows.map((r) => ({ agentId, conversationId: r.id, customerId: r.customer_id }))
}

/** Starts the fake provider in its own process; resolves with its base URL and a stop function. */
async function startFakeLlmProcess(): Promise<{ baseURL: string; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./fake-llm-server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, 'bench'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const baseURL = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl).trim())
    })
    child.once('exit', (code) => reject(new Error(`fake LLM process exited (${code})`)))
  })
  return {
    baseURL,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin.end()
      }),
  }
}

async function waitAnswered(db: Db, ids: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [r] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND answered_by IS NULL`,
      [ids],
    )
    if (r!.n === 0) return
    if (Date.now() > deadline)
      throw new Error(`${r!.n} messages still unanswered after ${timeoutMs} ms`)
    await sleep(100)
  }
}

/** Runs the bench (see the module comment). */
export async function runPipelineBench(o: PipelineBenchOptions): Promise<
  PipelineBenchResult & {
    engine: 'pglite' | 'postgres'
    handed_off: number
    cpu_ms_per_message: number
  }
> {
  const { db, engine, drop } = await openBenchDb(o.engine)
  const fake = await startFakeLlmProcess()
  try {
    await migrate(db, 'cloud')
    const embedder = createLexicalEmbedder()
    await importFaqFile(readFileSync(DATA('faq-zh.jsonl'), 'utf8'), 'jsonl', { db, embedder })
    // The dataset repeats questions in other words on purpose; here they come from different
    // customers, so no repeated-question hand-offs.
    await publishRules(db, { handoff: { repeatWindow: 0 } })
    const queries = readFileSync(DATA('queries-zh.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { query: string }).query)
    const agentId = await createAgent(db)
    const chats = await createChats(db, agentId, o.conversations)
    // The warmup's traffic has the shape of the measured one (as many messages per chat): with
    // a few long chats it warmed other paths than the first message of a new chat, and the
    // first second measured ran at several times the latency of the rest.
    const warmChats = await createChats(db, agentId, Math.max(1, Math.round((o.warmup * o.conversations) / o.messages)))

    const gateway = createLlmGateway({
      providers: [{ id: 'deepseek', apiKey: 'bench', baseURL: fake.baseURL }],
      record: llmCallRecorder(db),
      logger: silent,
    })
    const tail = createLogTail({ db, logger: silent })
    await tail.start()
    const metrics = createMetrics({ defaultMetrics: false })
    const worker = createReplyWorker({
      db,
      tail,
      logger: silent,
      metrics,
      retriever: createRetriever({ db, embedder, searchDuration: metrics.ragSearchDuration }),
      gateway,
      debounceMs: 0,
    })
    const running = worker.run()

    const text = (i: number) => queries[i % queries.length]!
    // One steady stream: the warmup messages, then (without a pause, which would measure a
    // restart from idle rather than the steady state) the measured ones.
    let cpu0 = process.cpuUsage()
    const written = await writeAtRate(
      db,
      (i) => (i < o.warmup ? warmChats[i % warmChats.length]! : chats[(i - o.warmup) % chats.length]!),
      Array.from({ length: o.warmup + o.messages }, (_, i) => (i < o.warmup ? text(i + 311) : text(i - o.warmup))),
      o.rate,
      -o.warmup,
      (i) => {
        if (i === o.warmup) cpu0 = process.cpuUsage()
      },
    )
    const ids = written.slice(o.warmup)
    await waitAnswered(db, written, 120_000)
    await worker.idle()
    await gateway.drain()
    const cpu = process.cpuUsage(cpu0)
    await worker.stop()
    await running
    await tail.stop()

    const lat = await db.query<{ ms: number; ins: number; done: number }>(
      `WITH ins AS (
         SELECT l.pk, t.committed_at FROM sync_log l JOIN sync_tx t ON t.txid = l.txid
          WHERE l.tbl = 'messages' AND l.op = 'insert' AND l.pk = ANY($1::text[])),
       done AS (
         SELECT l.pk, min(t.committed_at) AS committed_at FROM sync_log l JOIN sync_tx t ON t.txid = l.txid
          WHERE l.tbl = 'messages' AND l.op = 'update' AND l.pk = ANY($1::text[])
            AND l.old_row->>'answered_by' IS NULL AND l.new_row->>'answered_by' IS NOT NULL
          GROUP BY l.pk)
       SELECT (extract(epoch from done.committed_at - ins.committed_at) * 1000)::float8 AS ms,
              (extract(epoch from ins.committed_at) * 1000)::float8 AS ins,
              (extract(epoch from done.committed_at) * 1000)::float8 AS done
         FROM ins JOIN done USING (pk)`,
      [ids],
    )
    if (lat.length !== ids.length)
      throw new Error(`latency found for ${lat.length} of ${ids.length} messages`)
    const [counts] = await db.query<{ replies: number; duplicates: number; handed_off: number }>(
      `SELECT (SELECT count(*)::int FROM replies r WHERE r.message_ids && $1::uuid[]) AS replies,
              (SELECT coalesce(sum(n - 1), 0)::int FROM (
                 SELECT count(*) AS n FROM replies r, unnest(r.message_ids) AS mid
                  WHERE mid = ANY($1::uuid[]) GROUP BY mid HAVING count(*) > 1) d) AS duplicates,
              (SELECT count(*)::int FROM messages WHERE id = ANY($1::uuid[]) AND answered_by = 'none') AS handed_off`,
      [ids],
    )
    const ms = lat.map((r) => Number(r.ms))
    if (process.env['KEFU_BENCH_DUMP']) writeFileSync(process.env['KEFU_BENCH_DUMP'], JSON.stringify(lat))
    const span =
      (Math.max(...lat.map((r) => Number(r.done))) - Math.min(...lat.map((r) => Number(r.ins)))) /
      1000
    const overhead = await measureGatewayOverhead({ n: o.overheadCalls })
    return {
      messages: ids.length,
      replies: counts!.replies,
      per_s: round(ids.length / span, 1),
      p50_ms: round(percentile(ms, 50)),
      p99_ms: round(percentile(ms, 99)),
      duplicates: counts!.duplicates,
      gateway_overhead_p99_ms: overhead.p99_ms,
      engine,
      handed_off: counts!.handed_off,
      cpu_ms_per_message: round((cpu.user + cpu.system) / 1000 / ids.length),
    }
  } finally {
    await fake.stop()
    await drop()
  }
}

/** `npm run bench -- pipeline [--json] [--engine pglite|postgres] [--messages N] [--rate R] …` */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      engine: { type: 'string', default: 'auto' },
      messages: { type: 'string', default: '3000' },
      rate: { type: 'string', default: '200' },
      // One question per chat by default: a hand-off would silence the rest of its chat.
      conversations: { type: 'string', default: '3000' },
      warmup: { type: 'string', default: '2000' },
      'overhead-calls': { type: 'string', default: '2000' },
    },
  })
  const engine = values.engine
  if (engine !== 'pglite' && engine !== 'postgres' && engine !== 'auto') {
    console.error(`--engine: expected auto, pglite or postgres, got "${engine}"`)
    return 2
  }
  const r = await runPipelineBench({
    engine,
    messages: Number(values.messages),
    rate: Number(values.rate),
    conversations: Number(values.conversations),
    warmup: Number(values.warmup),
    overheadCalls: Number(values['overhead-calls']),
  })
  const { engine: used, handed_off, cpu_ms_per_message, ...out } = r
  if (values.json) console.log(JSON.stringify(out))
  else
    console.log(
      `pipeline (${used}, ${values.rate}/s offered): ${out.messages} messages → ${out.replies} replies, ` +
        `${handed_off} handed off, ${out.per_s}/s; latency p50 ${out.p50_ms} ms, p99 ${out.p99_ms} ms; ` +
        `${out.duplicates} duplicates; gateway overhead p99 ${out.gateway_overhead_p99_ms} ms; ` +
        `cloud process CPU ${cpu_ms_per_message} ms per message`,
    )
  return 0
}
