/**
 * Sync benchmark: cloud commit → row visible in each subscribed agent replica, on loopback.
 * The cloud runs in its own process on Postgres; N real agents (PGlite replicas through
 * pglite-sync) run here. A writer commits, at a steady rate, a mix of per-agent rows (replies:
 * one subscriber each) and broadcast rows (published FAQ entries: every agent subscribes); a
 * trigger in each replica notifies when a row lands, which timestamps "visible" for that
 * (row, replica) pair. `changes` counts pairs; `changes_per_s` is pairs applied per second.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { createTestPostgres, migrate, openPostgres } from '@kefu/migrations'
import { newId } from '@kefu/schema'
import { freePort, kill9, spawnCloud, waitHealthy } from '../../e2e/support/processes.ts'

export interface SyncBenchOptions {
  agents: number
  /** Rows committed per second across all agents (in commits of `batch` rows). */
  rate: number
  /** Seconds of load. */
  seconds: number
  /** Rows committed per transaction (1 = every change its own commit). */
  batch?: number
  /** Share of commits that are broadcast FAQ rows (0..1); default 0.5. */
  broadcast?: number
  /** Processes the agents are spread over; default one per core. */
  processes?: number
  /**
   * Seconds of the same load before the measured seconds, not measured (default 5): the first
   * seconds of load pay for V8 optimising the apply path and tiering PGlite's WebAssembly up,
   * once per process — a cost of starting, not of syncing.
   */
  warmup?: number
  log?: (msg: string) => void
}

export interface SyncBenchResult {
  agents: number
  changes: number
  p50_ms: number
  p99_ms: number
  lost: number
  duplicated: number
  changes_per_s: number
}

/** A process' CPU time so far in ms, from /proc (Linux); null where there is none. */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100 // USER_HZ is 100 on Linux
  } catch {
    return null
  }
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100
}

export async function runSyncBench(o: SyncBenchOptions): Promise<SyncBenchResult> {
  const log = o.log ?? (() => {})
  const secret = 'bench-secret-0123456789abcdef'
  const t = await createTestPostgres()
  const hosts: ChildProcess[] = []
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // KEFU_BENCH_CPU_PROF=DIR: CPU profiles there, of the cloud's whole run (written when it
  // stops) and of each agent host's measured seconds (agent-host-<pid>.cpuprofile).
  const profDir = process.env['KEFU_BENCH_CPU_PROF']
  const cloud = spawnCloud(
    port,
    { DATABASE_URL: t.url, KEFU_AGENT_SECRET: secret, KEFU_WORKERS: 'false', KEFU_RATE_LIMIT_PER_SEC: '100000', KEFU_RATE_LIMIT_BURST: '1000000' },
    profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  )
  try {
    await migrate(t.db, 'cloud')
    await waitHealthy(url)
    const ids: string[] = []
    const convs: string[] = []
    for (let i = 0; i < o.agents; i++) {
      const id = newId()
      const conv = newId()
      await t.db.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, $2)`, [id, `bench-${i}`])
      await t.db.query(`INSERT INTO conversations (id, agent_id, chat_key) VALUES ($1::uuid, $2::uuid, 'c')`, [conv, id])
      ids.push(id)
      convs.push(conv)
    }
    // Profiling in the agent hosts starts and stops on a message each acknowledges.
    const profiled = new Map<ChildProcess, () => void>()
    const hostsProfile = (dir: string | null) =>
      Promise.all(
        hosts.map(
          (h) =>
            new Promise<void>((resolve) => {
              profiled.set(h, resolve)
              h.send({ type: 'profile', dir })
            }),
        ),
      )
    // The CPU time of the agent hosts (together) and of the cloud, at the start and the end of
    // the measured load.
    const cpuNow = () => {
      const each = hosts.map((h) => processCpuMs(h.pid))
      return {
        hosts: each.includes(null) ? null : (each as number[]).reduce((a, b) => a + b, 0),
        cloud: processCpuMs(cloud.pid),
      }
    }
    let cpuAtStart: ReturnType<typeof cpuNow> | null = null
    const seen = new Map<string, number>() // `${agent}:${row id}` → arrival time
    const committed = new Map<string, number>() // `${agent}:${row id}` → commit time
    let duplicated = 0
    const started = Date.now()
    // The agents run in `processes` child processes (round robin), as real agents run on
    // machines of their own: not all on one thread. Times are on the clock they all share.
    const n = Math.max(1, Math.min(o.processes ?? availableParallelism(), o.agents))
    for (let p = 0; p < n; p++) {
      const child = fork(fileURLToPath(new URL('./agent-host.ts', import.meta.url)), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      })
      hosts.push(child)
      const mine = ids.flatMap((id, i) => (i % n === p ? [[i, id] as [number, string]] : []))
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`agent host exited (${code}) before it was ready`)))
        child.on('message', (m: { type: string; rows?: [number, string, number][] }) => {
          if (m.type === 'ready') resolve()
          else if (m.type === 'profiled') profiled.get(child)?.()
          else if (m.type === 'seen')
            for (const [i, id, at] of m.rows!) {
              const key = `${i}:${id}`
              if (seen.has(key)) duplicated++
              else seen.set(key, at)
            }
        })
        child.send({ type: 'start', cloudUrl: url, secret, agents: mine })
      })
      child.removeAllListeners('exit')
    }
    log(`${o.agents} agents up in ${Math.round((Date.now() - started) / 1000)} s`)
    await new Promise((r) => setTimeout(r, 3000)) // initial syncs settle
    const writer = openPostgres({ url: t.url, max: 8 })
    const batch = o.batch ?? 1
    const warmup = o.warmup ?? 5
    const total = o.rate * (warmup + o.seconds)
    const interval = (1000 * batch) / o.rate
    const now = () => performance.timeOrigin + performance.now()
    const start = now()
    const t0 = start + warmup * 1000 // the measured seconds start here
    const inflight: Promise<void>[] = []
    let k = 0
    for (let b = 0; k < total; b++) {
      const due = start + b * interval
      const measured = due >= t0
      if (measured && !cpuAtStart) {
        cpuAtStart = cpuNow()
        if (profDir) void hostsProfile(profDir)
      }
      const wait = due - now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      const rows: [string, string, string][] = []
      const faqs: string[] = []
      for (let j = 0; j < batch && k < total; j++, k++) {
        if (((k * 2654435761) % 1000) / 1000 < (o.broadcast ?? 0.5)) faqs.push(newId())
        else {
          // Spread over agents pseudo-randomly, as real traffic would be.
          const i = (k * 7919) % o.agents
          rows.push([newId(), convs[i]!, ids[i]!])
        }
      }
      inflight.push(
        writer
          .transaction(async (tx) => {
            if (rows.length)
              await tx.query(
                `INSERT INTO replies (id, conversation_id, agent_id, text, origin)
                 SELECT r.id::uuid, r.c::uuid, r.a::uuid, 'x', 'rule' FROM jsonb_to_recordset($1::text::jsonb) AS r(id text, c text, a text)`,
                [JSON.stringify(rows.map(([id, c, a]) => ({ id, c, a })))],
              )
            if (faqs.length)
              await tx.query(
                `INSERT INTO faq (id, question, answer) SELECT x::uuid, 'q ' || x, 'a' FROM jsonb_array_elements_text($1::text::jsonb) AS x`,
                [JSON.stringify(faqs)],
              )
          })
          .then(() => {
            if (!measured) return
            const at = now()
            for (const [id, , a] of rows) committed.set(`${ids.indexOf(a)}:${id}`, at)
            for (const id of faqs) for (let i = 0; i < o.agents; i++) committed.set(`${i}:${id}`, at)
          }),
      )
      if (inflight.length > 200) await Promise.all(inflight.splice(0, 100))
    }
    await Promise.all(inflight)
    const loadEnd = now()
    const cpuAtEnd = cpuNow()
    const cpuOfLoad = (which: 'hosts' | 'cloud') => {
      const [a, b] = [cpuAtStart?.[which] ?? null, cpuAtEnd[which]]
      return a === null || b === null ? null : b - a
    }
    if (profDir) await hostsProfile(null)
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && [...committed.keys()].some((id) => !seen.has(id))) await new Promise((r) => setTimeout(r, 100))
    const lat: number[] = []
    const dumpTo = process.env['KEFU_BENCH_DUMP']
    const dump: [string, number, number][] = []
    let lost = 0
    let lastArrival = 0
    for (const [id, at] of committed) {
      const s = seen.get(id)
      if (s === undefined) lost++
      else {
        lat.push(Math.max(0, s - at))
        if (dumpTo) dump.push([id, Math.round(at - t0), Math.round((s - at) * 100) / 100])
        lastArrival = Math.max(lastArrival, s)
      }
    }
    await writer.close()
    // KEFU_BENCH_DUMP=FILE: every (agent:row, ms into the measured load, latency), as JSON.
    if (dumpTo) writeFileSync(dumpTo, JSON.stringify(dump))
    const applied = lat.length
    const hostsCpuMs = cpuOfLoad('hosts')
    const cloudCpuMs = cpuOfLoad('cloud')
    if (hostsCpuMs !== null) {
      const coreShare = hostsCpuMs / (loadEnd - t0) / n // CPU ms per wall ms, per host
      log(`agent hosts: ${Math.round(hostsCpuMs)} ms of CPU over ${o.seconds} s of load, ${Math.round(coreShare * 100)} % of a core each; ${Math.round((hostsCpuMs * 1000) / applied)} µs per change applied`)
    }
    if (cloudCpuMs !== null)
      log(`cloud: ${Math.round(cloudCpuMs)} ms of CPU over the same seconds, ${Math.round((cloudCpuMs / (loadEnd - t0)) * 100)} % of a core; ${Math.round((cloudCpuMs * 1000) / applied)} µs per change applied`)
    return {
      agents: o.agents,
      changes: committed.size,
      p50_ms: pct(lat, 50),
      p99_ms: pct(lat, 99),
      lost,
      duplicated,
      changes_per_s: Math.round(applied / ((Math.max(lastArrival, loadEnd) - t0) / 1000)),
    }
  } finally {
    await Promise.all(
      hosts.map(
        (h) =>
          new Promise<void>((resolve) => {
            if (h.exitCode !== null || h.signalCode !== null) return resolve()
            const t = setTimeout(() => void kill9(h).then(resolve), 30_000)
            h.once('exit', () => {
              clearTimeout(t)
              resolve()
            })
            h.send({ type: 'stop' })
          }),
      ),
    )
    if (profDir) {
      // A profile is written on a clean exit only.
      const exited = new Promise((r) => cloud.once('exit', r))
      cloud.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    }
    await kill9(cloud)
    await t.drop()
  }
}

/**
 * `npm run bench -- sync [--agents N] [--rate R] [--batch B] [--broadcast F] [--seconds S]
 * [--processes P] [--warmup W] [--json]`
 *
 * Defaults: 100 rows/s in 10 commits/s, half of them broadcast FAQ rows: with 50 agents about
 * 2,500 (row, replica) pairs per second, above the 2,000/s throughput target.
 */
export async function main(argv: string[]): Promise<number> {
  const arg = (name: string, d: number) => {
    const i = argv.indexOf(`--${name}`)
    return i >= 0 ? Number(argv[i + 1]) : d
  }
  const json = argv.includes('--json')
  const r = await runSyncBench({
    agents: arg('agents', 50),
    rate: arg('rate', 100),
    seconds: arg('seconds', 10),
    batch: arg('batch', 10),
    broadcast: arg('broadcast', 0.5),
    processes: arg('processes', availableParallelism()),
    warmup: arg('warmup', 5),
    log: json ? () => {} : (m) => console.error(m),
  })
  console.log(json ? JSON.stringify(r) : r)
  return 0
}
