/**
 * The measured process of the footprint bench: a headless agent (`kefu agent --driver sim`,
 * through `runAgent`) started cold on an existing data folder while the cloud is unreachable.
 * Reports over IPC: when it was ready offline, its RSS once settled, and its CPU while idle.
 *
 * Environment: FOOTPRINT_DATA, FOOTPRINT_AGENT_ID, FOOTPRINT_PASSPHRASE, FOOTPRINT_CLOUD
 * (an address nothing listens on), FOOTPRINT_SETTLE_MS, FOOTPRINT_IDLE_MS, FOOTPRINT_GC=1 to
 * collect garbage before sampling (needs --expose-gc).
 */
import v8 from 'node:v8'
import { pino } from 'pino'
import { loadAgentConfig, runAgent } from '@kefu/agent'
import { mb, pgliteBreakdown, smapsBreakdown } from './breakdown.ts'

const env = process.env
// Everything before this line (tsx, module loading) is part of the cold start.
const loadedMs = performance.now()
const rssModules = process.memoryUsage().rss
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const config = loadAgentConfig(
  [
    '--cloud',
    env['FOOTPRINT_CLOUD']!,
    '--agent-id',
    env['FOOTPRINT_AGENT_ID']!,
    '--data',
    env['FOOTPRINT_DATA']!,
    '--driver',
    'sim',
    '--auth',
    'shared',
  ],
  {
    KEFU_AGENT_SECRET: 'footprint-bench-secret',
    KEFU_AGENT_PASSPHRASE: env['FOOTPRINT_PASSPHRASE']!,
  },
)
const startAt = performance.now()
const running = await runAgent(config, pino({ level: 'silent' }))
const [row] = await running.agent.replica.db.query<{ n: number }>(
  `SELECT count(*)::int AS n FROM messages_all`,
)
const readyMs = performance.now()
const status = running.agent.status()

await sleep(Number(env['FOOTPRINT_SETTLE_MS'] ?? 5000))
const gc = (globalThis as { gc?: () => void }).gc
if (env['FOOTPRINT_GC'] === '1' && gc) {
  gc()
  await sleep(200)
}
const memory = process.memoryUsage()
const mod = (
  running.agent.replica.pg as unknown as { Module: Parameters<typeof pgliteBreakdown>[0] }
).Module
const pglite = pgliteBreakdown(mod)
const breakdown = {
  ...smapsBreakdown([mod.HEAP8.buffer.byteLength]),
  v8_heap_mb: Object.fromEntries(
    v8
      .getHeapSpaceStatistics()
      .filter((s) => s.space_size > 0)
      .map((s) => [s.space_name.replace(/_space$/, ''), mb(s.space_size)]),
  ),
  array_buffers_mb: mb(memory.arrayBuffers),
  ...pglite,
}
const idleMs = Number(env['FOOTPRINT_IDLE_MS'] ?? 10_000)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await sleep(idleMs)
const cpu = process.cpuUsage(cpu0)
const wall = performance.now() - t0
const rssAfterIdle = process.memoryUsage().rss

process.send?.({
  ready_offline_ms: Math.round(readyMs),
  modules_ms: Math.round(loadedMs),
  rss_modules_mb: mb(rssModules),
  agent_start_ms: Math.round(readyMs - startAt),
  messages: row!.n,
  online: status.online,
  rss_mb: mb(memory.rss),
  rss_after_idle_mb: mb(rssAfterIdle),
  heap_used_mb: mb(memory.heapUsed),
  external_mb: mb(memory.external),
  array_buffers_mb: mb(memory.arrayBuffers),
  idle_cpu_pct: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
  idle_s: Math.round(wall / 100) / 10,
  gc: Boolean(env['FOOTPRINT_GC'] === '1' && gc),
  breakdown,
})
await running.stop()
process.exit(0)
