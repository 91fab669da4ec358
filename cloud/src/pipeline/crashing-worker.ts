/**
 * A reply worker that dies mid-message, for reply-worker.pg.test.ts: run as its own process
 * (`node --import tsx crashing-worker.ts <postgres url> <lease ms>`), it claims the backlog and
 * kills itself with SIGKILL inside the commit transaction, after the reply row is written but
 * before the commit — the crash a real instance can suffer at the worst moment.
 */
import { openPostgres } from '@kefu/migrations'
import { silentLogger } from '../logger.ts'
import { createMetrics } from '../metrics.ts'
import { createLexicalEmbedder } from '../rag/embedder.ts'
import { createRetriever } from '../rag/search.ts'
import { createLogTail } from '../sync/log-tail.ts'
import { createReplyWorker } from './reply-worker.ts'

const [url, lease] = process.argv.slice(2)
if (!url) throw new Error('usage: crashing-worker.ts <postgres url> [lease ms]')
const db = openPostgres({ url, max: 2 })
const logger = silentLogger()
const tail = createLogTail({ db, logger, pollMs: 50 })
await tail.start()
const worker = createReplyWorker({
  db,
  tail,
  logger,
  metrics: createMetrics({ defaultMetrics: false }),
  retriever: createRetriever({ db, embedder: createLexicalEmbedder() }),
  gateway: null,
  debounceMs: 0,
  leaseMs: Number(lease ?? 1_500),
  instanceId: 'crashing-worker',
  hooks: {
    inCommit: async (tx) => {
      const [r] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM replies`)
      process.stdout.write(`dying with ${r?.n ?? 0} uncommitted replies\n`)
      process.kill(process.pid, 'SIGKILL')
      await new Promise(() => {}) // the signal lands before this resolves
    },
  },
})
await worker.run()
