/**
 * The cloud reply worker: turns unanswered inbound messages into one reply (or a hand-off) per
 * debounced batch of fragments, exactly once across every cloud instance.
 *
 *   change log ─ inbound message ─┐                 ┌─ idle: nothing left
 *   startup scan + sweep ─────────┼─▶ debounce ─▶ claim ─┼─ busy: another instance; retry later
 *   (what arrived while down,     │   per chat       │   └─ claimed ─▶ compose ─▶ commit
 *    leases of dead instances)  ──┘                  │                 │  stale: re-claim
 *                                                    └─ failure: release lease, back off ◀┘
 *
 * Exactly-once is the commit's job (reply-store.ts): the reply row and `answered_by = 'cloud'`
 * are written in one transaction, only if every claimed message is still unanswered. The lease
 * taken at claim time keeps instances from composing the same answer twice, and a worker that
 * dies mid-message leaves a lease that simply expires: the message is claimed again later.
 *
 * The worker reacts only to inbound message inserts written by others; its own writes carry
 * the `cloud:reply-worker` origin and are ignored.
 */
import { setMaxListeners } from 'node:events'
import type { Db } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import type { WorkerStatus } from '../app.ts'
import type { LlmGateway } from '../llm/gateway.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Retriever } from '../rag/search.ts'
import type { LogEntry } from '../sync/log-tail.ts'
import { createChatScheduler } from './chat-scheduler.ts'
import { composeReply, defaultAnswerThresholds, type AnswerThresholds } from './compose-reply.ts'
import { defaultConversationConfig, type ConversationConfig } from './conversation-state.ts'
import { defaultGradeRules, type GradeRules } from './customer-grade.ts'
import { createCustomerGrader, gradeOf } from './customer-grader.ts'
import {
  claimConversation,
  commitDecision,
  findBacklog,
  releaseClaim,
  type ClaimResult,
  type CommitHook,
} from './reply-store.ts'
import { REPLY_WORKER_ORIGIN, type ReplyDecision } from './reply-types.ts'
import { createRuleCache } from './rule-cache.ts'

/** Test seams for fault injection; never set in production. */
export interface ReplyWorkerHooks {
  /** After the decision is composed, before the commit transaction starts. */
  readonly beforeCommit?: (conversationId: string) => Promise<void>
  /** Inside the commit transaction, after every write (throw to simulate a crash). */
  readonly inCommit?: CommitHook
}

/** Options of {@link createReplyWorker}. */
export interface ReplyWorkerOptions {
  readonly db: Db
  readonly tail: { subscribe(fn: (entries: LogEntry[]) => void): () => void }
  readonly logger: Logger
  readonly metrics: Metrics
  readonly retriever: Retriever
  /** Null: no LLM provider configured (extractive answers, the rest handed off). */
  readonly gateway: LlmGateway | null
  /** Wait this long after a chat's last fragment before answering; default 2500 ms. */
  readonly debounceMs?: number
  /** But never longer than this after its first unanswered fragment; default 4 × debounce. */
  readonly maxWaitMs?: number
  /** How long a claim protects a conversation; must outlast the LLM budget. Default 60 s. */
  readonly leaseMs?: number
  /** How often the table is scanned for what the change log did not bring; default 10 s. */
  readonly sweepMs?: number
  /** Conversations composed at once; default 32. */
  readonly concurrency?: number
  /** After this many failed attempts a conversation is handed to a person; default 5. */
  readonly maxAttempts?: number
  /** First backoff after a failed attempt (doubling, at most 60 s); default 1000 ms. */
  readonly retryMs?: number
  /** Fragments answered in one reply at most; default 20. */
  readonly batchLimit?: number
  /** Earlier turns read for the prompt and the repeated-question check; default 6. */
  readonly historyTurns?: number
  readonly thresholds?: Partial<AnswerThresholds>
  readonly conversation?: ConversationConfig
  readonly gradeRules?: GradeRules
  /** Names this instance in `reply_claims.owner`; default a fresh id. */
  readonly instanceId?: string
  /** The business clock (state machine, business hours, grading); default `new Date()`. */
  readonly now?: () => Date
  readonly hooks?: ReplyWorkerHooks
}

/** The worker, as `startCloud` runs it, plus helpers for tests and benchmarks. */
export interface ReplyWorker {
  readonly name: string
  run(): Promise<void>
  stop(): Promise<void>
  status(): WorkerStatus
  /** Resolves once nothing is scheduled, queued or running. */
  idle(): Promise<void>
  /** Scans the table for unanswered messages now. */
  sweep(): Promise<void>
}

const BUSY_RETRY_MS = 1_000

/** Creates the reply worker; `run()` starts it. */
export function createReplyWorker(opts: ReplyWorkerOptions): ReplyWorker {
  const { db, metrics } = opts
  const log = opts.logger.child({ component: 'reply-worker' })
  const owner = opts.instanceId ?? `reply-worker:${newId()}`
  const debounceMs = opts.debounceMs ?? 2_500
  const maxWaitMs = Math.max(debounceMs, opts.maxWaitMs ?? debounceMs * 4)
  const leaseMs = opts.leaseMs ?? 60_000
  const sweepMs = opts.sweepMs ?? 10_000
  const concurrency = Math.max(1, opts.concurrency ?? 32)
  const maxAttempts = opts.maxAttempts ?? 5
  const retryMs = opts.retryMs ?? 1_000
  const batchLimit = opts.batchLimit ?? 20
  const historyTurns = opts.historyTurns ?? 6
  const conversationCfg = opts.conversation ?? defaultConversationConfig
  const gradeRules = opts.gradeRules ?? defaultGradeRules
  const now = opts.now ?? (() => new Date())
  const rules = createRuleCache({ db, logger: opts.logger })
  const grader = createCustomerGrader({ db, logger: opts.logger, origin: REPLY_WORKER_ORIGIN })
  const composeDeps = {
    db,
    retriever: opts.retriever,
    gateway: opts.gateway,
    metrics,
    logger: log,
    thresholds: { ...defaultAnswerThresholds, ...opts.thresholds },
  }
  const abort = new AbortController()
  // Every in-flight LLM request listens on this one signal.
  setMaxListeners(0, abort.signal)

  let started = false
  let stopped = false
  let lastError: string | undefined
  let unsubscribe: (() => void) | null = null
  let sweepTimer: NodeJS.Timeout | null = null
  let faqTimer: NodeJS.Timeout | null = null
  let resolveStopped: () => void = () => {}
  const stoppedPromise = new Promise<void>((r) => (resolveStopped = r))
  const chats = createChatScheduler({
    maxWaitMs,
    concurrency,
    run: (conv) => processConversation(conv),
    onError: (err, conv) => fail(err, conv, 'process'),
  })
  const schedule = chats.schedule

  async function processConversation(conv: string): Promise<void> {
    // A commit finds its batch stale when something else answered part of it meanwhile;
    // claim again for what is left, a few times at most (the sweep catches the rest).
    for (let round = 0; round < 3 && !stopped; round++) {
      const claim = await claimConversation(db, {
        conversationId: conv,
        owner,
        leaseMs,
        limit: batchLimit,
        historyTurns,
      }).catch((err: unknown) => {
        fail(err, conv, 'claim')
        schedule(conv, retryMs, false)
        return null
      })
      if (claim === null || claim.kind === 'idle') return
      if (claim.kind === 'busy') {
        schedule(conv, Math.min(Math.max(claim.retryInMs, 50), BUSY_RETRY_MS), false)
        return
      }
      try {
        if ((await answer(conv, claim)) !== 'stale') return
      } catch (err) {
        const backoff = Math.min(60_000, retryMs * 2 ** Math.max(0, claim.attempts - 1))
        if (!stopped) fail(err, conv, 'answer')
        await releaseClaim(db, {
          conversationId: conv,
          owner,
          retryInMs: stopped ? 0 : backoff,
          countAttempt: !stopped,
        }).catch((e: unknown) => fail(e, conv, 'release'))
        schedule(conv, backoff, false)
        return
      }
    }
  }

  async function answer(
    conv: string,
    { messages, attempts, context }: Extract<ClaimResult, { kind: 'claimed' }>,
  ): Promise<'done' | 'stale'> {
    const at = now()
    if (!context) return 'done' // deleted; its claim went with it
    const loaded = await rules.get()
    const grade = context.customer ? gradeOf(context.customer, gradeRules, at) : null
    const decision: ReplyDecision =
      attempts > maxAttempts
        ? { kind: 'handoff', reason: 'low_confidence', detail: 'repeated_failures' }
        : await composeReply(composeDeps, {
            conversation: context,
            messages,
            rules: loaded,
            grade,
            now: at,
            signal: abort.signal,
          })
    await opts.hooks?.beforeCommit?.(conv)
    const r = await commitDecision(db, {
      conversationId: conv,
      agentId: context.agentId,
      messages,
      decision,
      owner,
      now: now(),
      conversation: conversationCfg,
      expected: context.snapshot,
      ...(opts.hooks?.inCommit ? { inCommit: opts.hooks.inCommit } : {}),
    })
    if (r.kind === 'stale') return 'stale'
    if (r.kind === 'gone') return 'done'
    if (context.customer && grade) grader.note(context.customer.id, grade, at)
    const ids = { conversation_id: conv, message_ids: messages.map((m) => m.id) }
    const a = r.applied
    if (a.kind === 'reply') {
      metrics.repliesWritten.labels(a.origin).inc()
      log.info(
        {
          ...ids,
          reply_id: r.replyId,
          origin: a.origin,
          via: a.via,
          confidence: a.confidence,
          state: r.to,
        },
        'reply queued',
      )
      log.debug({ ...ids, text: a.text }, 'reply text')
    } else if (a.kind === 'handoff' && r.effects.some((e) => e.type === 'notify_humans')) {
      // The conversation now waits in the human queue (conversations.state = waiting_human).
      log.info(
        { ...ids, reason: a.reason, detail: a.detail, from: r.from },
        'handed off to a person',
      )
    } else {
      log.debug({ ...ids, outcome: a.kind, why: a.kind === 'skip' ? a.why : a.reason }, 'no reply')
    }
    return 'done'
  }

  function fail(err: unknown, conv: string, stage: string): void {
    lastError = err instanceof Error ? err.message : String(err)
    metrics.errors.labels('reply_worker').inc()
    log.warn({ err, conversation_id: conv, stage }, 'reply attempt failed; will retry')
  }

  async function sweep(): Promise<void> {
    const backlog = await findBacklog(db, 5_000)
    for (const b of backlog) {
      const c = b.conversationId
      if (chats.has(c)) continue
      schedule(c, Math.max(debounceMs - b.ageMs, b.leaseMs), false)
    }
  }

  function armSweep(): void {
    if (stopped) return
    sweepTimer = setTimeout(() => {
      sweep()
        .catch((err: unknown) => {
          lastError = String(err)
          log.warn({ err }, 'backlog sweep failed')
        })
        .finally(armSweep)
    }, sweepMs)
  }

  function onEntries(entries: LogEntry[]): void {
    for (const e of entries) {
      if (e.origin === REPLY_WORKER_ORIGIN) continue
      if (e.tbl === 'messages' && e.op === 'insert' && e.newRow) {
        const r = e.newRow
        if (
          r.direction === 'in' &&
          r.answered_by === null &&
          r.origin !== 'cloud' &&
          r.conversation_id
        )
          schedule(r.conversation_id, debounceMs, true)
      } else if (e.tbl === 'rules') {
        rules.invalidate()
      } else if (e.tbl === 'faq' && !faqTimer) {
        // An import writes the FAQ in batches: reload once it has settled.
        faqTimer = setTimeout(() => {
          faqTimer = null
          opts.retriever.refresh().catch((err: unknown) => log.warn({ err }, 'FAQ reload failed'))
        }, 500)
      }
    }
  }

  return {
    name: 'reply-worker',
    async run() {
      if (started) throw new Error('reply worker already started')
      started = true
      if (stopped) return
      unsubscribe = opts.tail.subscribe(onEntries)
      // What arrived while no worker ran, and leases of instances that died.
      await sweep().catch((err: unknown) => {
        lastError = String(err)
        log.warn({ err }, 'startup backlog scan failed')
      })
      if (stopped) return
      armSweep()
      log.info(
        { owner, debounce_ms: debounceMs, llm: opts.gateway !== null },
        'reply worker started',
      )
      await stoppedPromise
    },
    async stop() {
      if (stopped) return
      stopped = true
      unsubscribe?.()
      if (sweepTimer) clearTimeout(sweepTimer)
      if (faqTimer) clearTimeout(faqTimer)
      abort.abort(new Error('reply worker stopping'))
      await chats.stop()
      await grader.stop()
      resolveStopped()
    },
    status: () => ({
      name: 'reply-worker',
      running: started && !stopped,
      ...(lastError === undefined ? {} : { lastError }),
    }),
    async idle() {
      while (!chats.isIdle()) await new Promise((r) => setTimeout(r, 5))
    },
    sweep,
  }
}
