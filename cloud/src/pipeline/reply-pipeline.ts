/**
 * Wiring of the reply pipeline for `startCloud`: the embedder and retriever, the LLM gateway
 * (when providers are configured, recording every attempt in `llm_calls`), and the reply
 * worker. Building the embedder may load a model, so it happens when the worker starts, not
 * when the cloud is put together.
 */
import type { Db } from '@kefu/migrations'
import type { WorkerStatus } from '../app.ts'
import { createLlmGateway, type GatewayProviderConfig, type LlmGateway } from '../llm/gateway.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import { createRetriever } from '../rag/search.ts'
import type { LogTail } from '../sync/log-tail.ts'
import { createEmbedderFor, type EmbedderChoice } from './embedder-choice.ts'
import { llmCallRecorder } from './llm-calls.ts'
import { createReplyWorker, type ReplyWorker, type ReplyWorkerOptions } from './reply-worker.ts'

/** What the pipeline takes from the cloud's configuration. */
export interface ReplyPipelineOptions {
  readonly embedder: EmbedderChoice
  /** Primary first; empty: no LLM (extractive answers, the rest handed off). */
  readonly llm: readonly GatewayProviderConfig[]
  readonly debounceMs: number
  /** Anything else the worker takes (tests, benchmarks). */
  readonly worker?: Partial<
    Omit<ReplyWorkerOptions, 'db' | 'tail' | 'logger' | 'metrics' | 'retriever' | 'gateway'>
  >
}

/** What `startCloud` hands a worker factory. */
export interface PipelineContext {
  readonly db: Db
  readonly tail: LogTail
  readonly metrics: Metrics
  readonly logger: Logger
}

/** A worker as `startCloud` runs it. */
export interface PipelineWorker {
  readonly name: string
  run(): Promise<void>
  stop(): Promise<void>
  status(): WorkerStatus
}

/** A gateway over `providers` that records each attempt in `llm_calls`; null when none. */
export function createReplyGateway(
  db: Db,
  logger: Logger,
  providers: readonly GatewayProviderConfig[],
): LlmGateway | null {
  if (providers.length === 0) return null
  return createLlmGateway({ providers, record: llmCallRecorder(db), logger })
}

/** The worker factory `startCloud` runs by default. */
export function replyPipelineWorkers(
  o: ReplyPipelineOptions,
): (ctx: PipelineContext) => PipelineWorker[] {
  return (ctx) => [deferredReplyWorker(ctx, o)]
}

/** A reply worker whose dependencies are built when it starts. */
function deferredReplyWorker(ctx: PipelineContext, o: ReplyPipelineOptions): PipelineWorker {
  const log = ctx.logger.child({ component: 'reply-pipeline' })
  let inner: ReplyWorker | null = null
  let stopped = false
  let setupError: string | undefined
  return {
    name: 'reply-worker',
    async run() {
      try {
        const embedder = await createEmbedderFor(o.embedder)
        const retriever = createRetriever({
          db: ctx.db,
          embedder,
          logger: ctx.logger,
          searchDuration: ctx.metrics.ragSearchDuration,
        })
        const gateway = createReplyGateway(ctx.db, ctx.logger, o.llm)
        log.info(
          { embedder: embedder.id, llm: o.llm.map((p) => p.id) },
          o.llm.length > 0
            ? 'reply pipeline ready'
            : 'reply pipeline ready without an LLM: FAQ/KB answers only, the rest handed off',
        )
        if (stopped) return
        inner = createReplyWorker({
          ...o.worker,
          db: ctx.db,
          tail: ctx.tail,
          logger: ctx.logger,
          metrics: ctx.metrics,
          retriever,
          gateway,
          debounceMs: o.debounceMs,
        })
      } catch (err) {
        setupError = err instanceof Error ? err.message : String(err)
        throw err
      }
      await inner.run()
    },
    async stop() {
      stopped = true
      await inner?.stop()
    },
    status() {
      if (inner) return inner.status()
      return {
        name: 'reply-worker',
        running: false,
        ...(setupError ? { lastError: setupError } : {}),
      }
    },
  }
}
