import { expect, test } from 'vitest'
import { runFootprintBench } from './main.ts'

// The bench itself, small: it builds a replica through a real cloud, then starts the agent cold
// offline in fresh processes (through tsx and bundled) and reads its figures. The targets are
// the full-size bench's business; this proves the pipeline and that the agent comes up offline.
test('agent-footprint bench: builds a replica, starts the agent offline from it, reports figures', async () => {
  const r = await runFootprintBench({
    messages: 300,
    chats: 20,
    engine: 'auto',
    runs: 1,
    settleMs: 300,
    idleMs: 1000,
    mode: 'both',
    gc: false,
  })
  expect(r.replica).toMatchObject({ messages: 300, replies: 30 })
  for (const run of [...r.runs.tsx, ...r.runs.bundle]) {
    expect(run.messages).toBe(300)
    expect(run.online).toBe(false)
    expect(run.ready_offline_ms).toBeGreaterThan(0)
    expect(run.rss_mb).toBeGreaterThan(run.rss_modules_mb)
    expect(run.idle_cpu_pct).toBeGreaterThanOrEqual(0)
  }
  expect(r.runs.tsx).toHaveLength(1)
  expect(r.runs.bundle).toHaveLength(1)
  expect(Object.keys(r).slice(0, 3)).toEqual(['rss_mb', 'idle_cpu_pct', 'ready_offline_ms'])
}, 120_000)
