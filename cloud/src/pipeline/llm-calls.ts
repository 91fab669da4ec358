/**
 * Accounting of LLM attempts: the gateway hands every attempt (failed ones too) to `record`,
 * off the critical path; this writes them to `llm_calls`. Records arriving close together are
 * written in one multi-row insert (one round trip per `flushMs`, not one per call); each
 * `record` promise settles when its row is written, so `gateway.drain()` still means "written".
 */
import { newId } from '@kefu/schema'
import type { Queryable } from '@kefu/migrations'
import type { LlmCallRecord } from '../llm/types.ts'

/** Options of {@link llmCallRecorder}. */
export interface LlmCallRecorderOptions {
  /** How long records wait for company before they are written; default 50 ms. */
  readonly flushMs?: number
  /** Write at once when this many are waiting; default 200. */
  readonly maxBatch?: number
}

interface Waiting {
  readonly row: Record<string, unknown>
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/** A gateway `record` callback writing `llm_calls` rows in small batches. */
export function llmCallRecorder(
  db: Queryable,
  opts: LlmCallRecorderOptions = {},
): (call: LlmCallRecord) => Promise<void> {
  const flushMs = opts.flushMs ?? 50
  const maxBatch = opts.maxBatch ?? 200
  let batch: Waiting[] = []
  let timer: NodeJS.Timeout | null = null

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer)
    timer = null
    const items = batch
    batch = []
    try {
      await db.query(
        `INSERT INTO llm_calls (id, provider, model, purpose, message_id, input_tokens,
                                output_tokens, cost_usd, latency_ms, ok, streamed, error)
         SELECT id, provider, model, purpose, message_id, input_tokens, output_tokens, cost_usd,
                latency_ms, ok, streamed, error
           FROM jsonb_to_recordset($1::text::jsonb) AS x(id uuid, provider text, model text,
                purpose text, message_id uuid, input_tokens int, output_tokens int,
                cost_usd numeric, latency_ms int, ok boolean, streamed boolean, error text)`,
        [JSON.stringify(items.map((i) => i.row))],
      )
      for (const i of items) i.resolve()
    } catch (err) {
      for (const i of items) i.reject(err)
    }
  }

  return (call) =>
    new Promise<void>((resolve, reject) => {
      const row = {
        id: newId(),
        provider: call.provider,
        model: call.model,
        purpose: call.purpose,
        message_id: call.messageId,
        input_tokens: Math.max(0, Math.round(call.inputTokens)),
        output_tokens: Math.max(0, Math.round(call.outputTokens)),
        cost_usd: call.costUsd,
        latency_ms: Math.max(0, Math.round(call.latencyMs)),
        ok: call.ok,
        streamed: call.streamed,
        error: call.error,
      }
      batch.push({ row, resolve, reject })
      if (batch.length >= maxBatch) void flush()
      else timer ??= setTimeout(() => void flush(), flushMs)
    })
}
