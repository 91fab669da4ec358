import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The Prometheus metrics of one cloud instance (own registry, so tests can run several). */
export interface Metrics {
  registry: Registry
  agentOnline: Gauge
  messageReceived: Counter
  messageSent: Counter
  aiRequestDuration: Histogram<'provider' | 'outcome'>
  ragSearchDuration: Histogram
  dbQueryDuration: Histogram<'op'>
  errors: Counter<'kind'>
  syncLag: Gauge<'agent'>
  outboxDepth: Gauge<'agent'>
  shapeRequests: Counter<'mode' | 'status'>
  changesApplied: Counter<'status'>
  repliesWritten: Counter<'origin'>
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry()
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const r = [registry]
  return {
    registry,
    agentOnline: new Gauge({ name: 'agent_online_count', help: 'agents seen within the heartbeat window', registers: r }),
    messageReceived: new Counter({ name: 'message_received_total', help: 'customer messages captured by agents and applied', registers: r }),
    messageSent: new Counter({ name: 'message_sent_total', help: 'replies reported sent by agents', registers: r }),
    aiRequestDuration: new Histogram({
      name: 'ai_request_duration_seconds',
      help: 'LLM gateway call duration',
      labelNames: ['provider', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: r,
    }),
    ragSearchDuration: new Histogram({
      name: 'rag_search_duration_seconds',
      help: 'hybrid retrieval duration',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
    dbQueryDuration: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'duration of instrumented database operations',
      labelNames: ['op'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 2],
      registers: r,
    }),
    errors: new Counter({ name: 'error_count_total', help: 'errors by kind', labelNames: ['kind'] as const, registers: r }),
    syncLag: new Gauge({ name: 'sync_lag_seconds', help: 'agent-reported replica lag', labelNames: ['agent'] as const, registers: r }),
    outboxDepth: new Gauge({ name: 'outbox_depth', help: 'agent-reported outbox depth', labelNames: ['agent'] as const, registers: r }),
    shapeRequests: new Counter({ name: 'shape_requests_total', help: 'GET /v1/shape responses', labelNames: ['mode', 'status'] as const, registers: r }),
    changesApplied: new Counter({ name: 'changes_applied_total', help: 'agent outbox changes by result', labelNames: ['status'] as const, registers: r }),
    repliesWritten: new Counter({ name: 'replies_written_total', help: 'reply rows written by origin', labelNames: ['origin'] as const, registers: r }),
  }
}
