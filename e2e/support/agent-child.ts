/**
 * An agent in its own process, for tests that kill it with SIGKILL. Configured by environment;
 * answers `{ type: 'dump' }` IPC requests with what its replica holds.
 */
import { pino } from 'pino'
import { createKefuAgent, keyFromPassphrase, sharedSecret } from '@kefu/agent'
import { createRemoteDriver } from './wechat-double.ts'

const env = process.env
const dataDir = env['AGENT_DATA']!
const agent = createKefuAgent({
  cloudUrl: env['CLOUD_URL']!,
  agentId: env['AGENT_ID']!,
  credentials: sharedSecret(env['AGENT_ID']!, env['AGENT_SECRET']!),
  dataDir,
  key: await keyFromPassphrase(dataDir, env['AGENT_PASSPHRASE']!, { N: 1 << 12, r: 8, p: 1 }),
  driver: createRemoteDriver(env['WECHAT_URL']!),
  logger: pino({ level: env['AGENT_LOG'] ?? 'silent' }),
  pollMs: 50,
  checkpointMs: Number(env['CHECKPOINT_MS'] ?? 3000),
  offlineAnswers: false,
})
await agent.start()
process.send?.({ type: 'ready' })
process.on('message', (m: { type: string }) => {
  if (m.type !== 'dump') return
  void (async () => {
    const q = (sql: string) => agent.replica.db.query<{ id: string; text: string }>(sql)
    process.send?.({
      type: 'dump',
      messages: await q(`SELECT id, text FROM messages_all`),
      replies: await q(`SELECT id, text FROM replies_all`),
      status: agent.status(),
    })
  })()
})
