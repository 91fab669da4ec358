/**
 * Test wiring for the reply pipeline: agents, chats and customer messages written the way an
 * agent writes them (through `applyChanges`, tagged `agent:<id>`), a published rule set, the
 * test knowledge base, and a running worker over a real change-log tail.
 */
import type { RuleSetInput } from '@kefu/match'
import { migrate, type Db } from '@kefu/migrations'
import { newId, type Change, type ReplySource } from '@kefu/schema'
import type { LlmGateway } from '../llm/gateway.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { createMetrics, type Metrics } from '../metrics.ts'
import { createLexicalEmbedder } from '../rag/embedder.ts'
import { importFaqFile } from '../rag/kb-import.ts'
import { documentFromMarkdown, importDocuments } from '../rag/kb-import-docs.ts'
import { createRetriever, type Retriever } from '../rag/search.ts'
import { FAQ_JSONL, POLICY_MD } from '../rag/test-kb.ts'
import { applyChanges } from '../sync/apply-changes.ts'
import { createLogTail, type LogTail } from '../sync/log-tail.ts'
import { createReplyWorker, type ReplyWorker, type ReplyWorkerOptions } from './reply-worker.ts'

/** Rules open around the clock, so tests do not depend on the hour they run at. */
export const ALWAYS_OPEN: RuleSetInput = {
  businessHours: {
    days: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' })),
  },
}

/** One WeChat chat as the agent created it. */
export interface Chat {
  readonly agentId: string
  readonly conversationId: string
  readonly customerId: string | null
}

const apply = (db: Db, agentId: string, changes: Change[]) => applyChanges(db, agentId, changes)

/** Inserts an agent row. */
export async function createAgent(db: Db, name = 'seat-1'): Promise<string> {
  const id = newId()
  await db.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, $2)`, [id, name])
  return id
}

/** A chat with its customer (direct) or without one (group), as the agent's capture makes it. */
export async function createChat(
  db: Db,
  agentId: string,
  o: { kind?: 'direct' | 'group'; name?: string } = {},
): Promise<Chat> {
  const kind = o.kind ?? 'direct'
  const name = o.name ?? `客户-${newId().slice(-8)}`
  const conversationId = newId()
  const customerId = kind === 'direct' ? newId() : null
  const changes: Change[] = []
  if (customerId)
    changes.push({
      id: newId(),
      kind: 'insert_customer',
      row: { id: customerId, agent_id: agentId, display_name: name },
    })
  changes.push({
    id: newId(),
    kind: 'insert_conversation',
    row: {
      id: conversationId,
      agent_id: agentId,
      chat_key: `chat:${name}`,
      kind,
      title: name,
      customer_id: customerId,
    },
  })
  await apply(db, agentId, changes)
  return { agentId, conversationId, customerId }
}

/** A customer's message, captured by the agent; returns its id. */
export async function customerSays(
  db: Db,
  chat: Chat,
  text: string,
  o: { mentioned?: boolean; answeredBy?: 'local' | 'human' | null; kind?: 'text' | 'image' } = {},
): Promise<string> {
  const id = newId()
  await apply(db, chat.agentId, [
    {
      id: newId(),
      kind: 'insert_message',
      row: {
        id,
        conversation_id: chat.conversationId,
        agent_id: chat.agentId,
        direction: 'in',
        sender: 'customer',
        text,
        kind: o.kind ?? 'text',
        mentioned: o.mentioned ?? false,
        captured_at: new Date().toISOString(),
        dedup_key: `test:${id}`,
        origin: 'agent',
        answered_by: o.answeredBy ?? null,
      },
    },
  ])
  return id
}

/** A person takes the chat over in WeChat (what the agent reports). */
export async function takeOver(db: Db, chat: Chat, ttlMs = 30 * 60_000): Promise<void> {
  await apply(db, chat.agentId, [
    {
      id: newId(),
      kind: 'update_conversation',
      pk: chat.conversationId,
      set: {
        state: 'human',
        handler: 'wechat',
        bot_paused_until: new Date(Date.now() + ttlMs).toISOString(),
      },
    },
  ])
}

/** The agent reports it answered a message itself. */
export async function answeredLocally(db: Db, chat: Chat, messageId: string): Promise<void> {
  await apply(db, chat.agentId, [
    { id: newId(), kind: 'update_message', pk: messageId, set: { answered_by: 'local' } },
  ])
}

/** Publishes a rule-set body (always open unless it says otherwise). */
export async function publishRules(db: Db, body: RuleSetInput = {}): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('kefu.origin', 'console', true)`)
    await tx.query(`UPDATE rules SET status = 'archived' WHERE status = 'published'`)
    const [v] = await tx.query<{ v: number }>(
      `SELECT coalesce(max(version), 0)::int + 1 AS v FROM rules`,
    )
    await tx.query(
      `INSERT INTO rules (id, version, status, body, published_at) VALUES ($1::uuid, $2, 'published', $3::text::jsonb, now())`,
      [newId(), v!.v, JSON.stringify({ ...ALWAYS_OPEN, ...body })],
    )
  })
}

/** Migrates `db` and imports the test FAQ and policy document; returns FAQ key → id. */
export async function seedKnowledgeBase(db: Db): Promise<Record<string, string>> {
  await migrate(db, 'cloud')
  const embedder = createLexicalEmbedder()
  const r = await importFaqFile(FAQ_JSONL, 'jsonl', { db, embedder })
  await importDocuments([documentFromMarkdown('policy.md', POLICY_MD)], { db, embedder })
  return Object.fromEntries(r.entries.map((e) => [e.key!, e.id]))
}

/** Polls `fn` until it yields something truthy. */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  o: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 10_000)
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what ?? 'a condition'}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A reply row as tests inspect it. */
export interface ReplyRow {
  id: string
  message_ids: string[]
  text: string
  origin: string
  confidence: number | null
  sources: ReplySource[]
  status: string
}

/** The replies of a conversation, oldest first. */
export async function repliesOf(db: Db, conversationId: string): Promise<ReplyRow[]> {
  return db.query<ReplyRow>(
    `SELECT id::text AS id, message_ids::text[] AS message_ids, text, origin, confidence, sources, status
       FROM replies WHERE conversation_id = $1::uuid ORDER BY created_at, id`,
    [conversationId],
  )
}

/** A message's `answered_by`. */
export async function answeredBy(db: Db, messageId: string): Promise<string | null> {
  const [r] = await db.query<{ a: string | null }>(
    `SELECT answered_by AS a FROM messages WHERE id = $1::uuid`,
    [messageId],
  )
  return r?.a ?? null
}

/** A conversation's state columns. */
export async function conversationState(
  db: Db,
  conversationId: string,
): Promise<{ state: string; handler: string | null }> {
  const [r] = await db.query<{ state: string; handler: string | null }>(
    `SELECT state, handler FROM conversations WHERE id = $1::uuid`,
    [conversationId],
  )
  return r!
}

/** A running reply worker over its own change-log tail. */
export interface PipelineHarness {
  readonly db: Db
  readonly tail: LogTail
  readonly worker: ReplyWorker
  readonly retriever: Retriever
  readonly metrics: Metrics
  stop(): Promise<void>
}

/** Starts a worker on `db` (migrated, with a knowledge base). */
export async function startPipeline(
  db: Db,
  o: { gateway?: LlmGateway | null; logger?: Logger; retriever?: Retriever } & Partial<
    Omit<ReplyWorkerOptions, 'db' | 'tail' | 'logger' | 'metrics' | 'retriever' | 'gateway'>
  > = {},
): Promise<PipelineHarness> {
  const { gateway = null, logger = silentLogger(), ...rest } = o
  const tail = createLogTail({ db, logger, pollMs: 50 })
  await tail.start()
  const metrics = createMetrics({ defaultMetrics: false })
  const retriever =
    o.retriever ??
    createRetriever({
      db,
      embedder: createLexicalEmbedder(),
      searchDuration: metrics.ragSearchDuration,
    })
  const worker = createReplyWorker({
    debounceMs: 0,
    sweepMs: 200,
    retryMs: 50,
    ...rest,
    db,
    tail,
    logger,
    metrics,
    retriever,
    gateway,
  })
  const running = worker.run()
  return {
    db,
    tail,
    worker,
    retriever,
    metrics,
    async stop() {
      await worker.stop()
      await running
      await tail.stop()
    },
  }
}
