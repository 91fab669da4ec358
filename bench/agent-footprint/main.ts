/**
 * `npm run bench -- agent-footprint [--messages 20000] [--chats 500] [--engine auto|pglite|postgres]
 * [--runs 3] [--settle-s 5] [--idle-s 10] [--mode bundle|tsx|both] [--gc] [--data DIR]
 * [--node-flags "--flag …"] [--json]`
 *
 * The headless agent's footprint on the sim driver with a replica of `--messages` messages:
 * 1. build: a real cloud and agent capture the messages, replies and the FAQ sync down, the
 *    agent checkpoints and stops (`--data DIR` builds there and keeps it; a later run with the
 *    same `--data` skips the build);
 * 2. measure, `--runs` times, each in a fresh process (footprint-child.ts, bundled as `kefu
 *    agent` is by bin/agent-bundle.js; `--mode tsx` from source, `both` for each) with the cloud
 *    unreachable: cold start until `start()` resolved and the replica answered a query
 *    (ready_offline_ms, from process start: module loading included), RSS once settled, and
 *    CPU while idle over `--idle-s` seconds.
 *
 * Prints one JSON object: the medians as `{rss_mb, idle_cpu_pct, ready_offline_ms}`, the
 * targets, and every run's details, with where its RSS went (breakdown.ts: code, WebAssembly
 * memory, malloc heap, V8 heap, array buffers, PGlite's in-memory files) and a bare Node's
 * RSS beside it. Targets: RSS < 200 MB, idle CPU < 2 %, ready < 3 s.
 */
import { execFileSync, fork } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildReplica, type BuildResult } from './build-replica.ts'
import { mb } from './breakdown.ts'
import { bundleChild } from './bundle-child.ts'

const PASSPHRASE = 'agent-footprint-bench'
export const TARGETS = { rss_mb: 200, idle_cpu_pct: 2, ready_offline_ms: 3000 } as const

/** What one measured process reports. */
export interface FootprintRun {
  ready_offline_ms: number
  modules_ms: number
  /** RSS once the modules are loaded, before the agent starts (Node, tsx, PGlite's JS…). */
  rss_modules_mb: number
  agent_start_ms: number
  messages: number
  online: boolean
  rss_mb: number
  rss_after_idle_mb: number
  heap_used_mb: number
  external_mb: number
  array_buffers_mb: number
  idle_cpu_pct: number
  idle_s: number
  gc: boolean
  /** Where the RSS goes once settled (breakdown.ts). */
  breakdown: Record<string, unknown>
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/**
 * Starts the child on a copy of `dataDir` and waits for its report: footprint-child.ts bundled
 * under plain node (how `kefu agent` and the desktop app run), or from source through tsx.
 */
export function measureOnce(o: {
  dataDir: string
  agentId: string
  settleMs: number
  idleMs: number
  gc: boolean
  bundle: string | null
  /** Extra node/V8 flags for the measured process (to try some; the agent sets its own). */
  nodeFlags?: readonly string[]
}): Promise<FootprintRun> {
  // A copy: each run starts from the same checkpoint, not from the previous run's.
  const dir = mkdtempSync(join(tmpdir(), 'kefu-footprint-run-'))
  cpSync(o.dataDir, dir, { recursive: true })
  const child = fork(o.bundle ?? new URL('./footprint-child.ts', import.meta.url), [], {
    execArgv: [
      ...(o.bundle ? [] : ['--import', 'tsx']),
      ...(o.gc ? ['--expose-gc'] : []),
      ...(o.nodeFlags ?? []),
    ],
    env: {
      ...process.env,
      FOOTPRINT_DATA: dir,
      FOOTPRINT_AGENT_ID: o.agentId,
      FOOTPRINT_PASSPHRASE: PASSPHRASE,
      // Nothing listens on the discard port: connections are refused at once.
      FOOTPRINT_CLOUD: 'http://127.0.0.1:9',
      FOOTPRINT_IDLE_MS: String(o.idleMs),
      FOOTPRINT_SETTLE_MS: String(o.settleMs),
      FOOTPRINT_GC: o.gc ? '1' : '0',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  return new Promise<FootprintRun>((resolve, reject) => {
    let report: FootprintRun | null = null
    child.on('message', (m) => (report = m as FootprintRun))
    child.on('error', reject)
    child.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true })
      if (report) resolve(report)
      else reject(new Error(`footprint child exited (${code}) without a report`))
    })
  })
}

/** Options of {@link runFootprintBench} (the command line's, parsed). */
export interface FootprintOptions {
  messages: number
  chats: number
  engine: 'auto' | 'pglite' | 'postgres'
  runs: number
  settleMs: number
  idleMs: number
  /** bundle: as `kefu agent` and the desktop app run (esbuild, plain node); tsx: from source. */
  mode: 'tsx' | 'bundle' | 'both'
  gc: boolean
  /** A folder to build into and keep (or built before: then the build is skipped). */
  dataDir?: string | undefined
  /** Extra node/V8 flags for the measured processes. */
  nodeFlags?: readonly string[]
  log?: (msg: string) => void
}

const figures = (rs: FootprintRun[]) => {
  if (rs.length === 0) return null
  const rss = median(rs.map((r) => r.rss_mb))
  return {
    rss_mb: rss,
    idle_cpu_pct: median(rs.map((r) => r.idle_cpu_pct)),
    ready_offline_ms: median(rs.map((r) => r.ready_offline_ms)),
    rss_modules_mb: median(rs.map((r) => r.rss_modules_mb)),
    agent_start_ms: median(rs.map((r) => r.agent_start_ms)),
    /** The breakdown of the run closest to the median RSS. */
    breakdown: [...rs].sort((a, b) => Math.abs(a.rss_mb - rss) - Math.abs(b.rss_mb - rss))[0]!
      .breakdown,
  }
}

/** The RSS of a bare Node process: what no agent code can take away. */
function nodeBaselineMb(): number {
  const out = execFileSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.memoryUsage().rss))',
  ])
  return mb(Number(out.toString()))
}

/** Builds the replica (unless `dataDir` holds one) and measures it; see the module comment. */
export async function runFootprintBench(o: FootprintOptions) {
  const log = o.log ?? (() => {})
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'kefu-footprint-'))
  const manifest = join(dataDir, 'bench-build.json')
  let build: BuildResult
  if (existsSync(manifest)) {
    build = JSON.parse(readFileSync(manifest, 'utf8')) as BuildResult
    log(`using the replica built in ${dataDir}`)
  } else {
    log(`building a ${o.messages}-message replica in ${dataDir}`)
    build = await buildReplica({
      dataDir,
      passphrase: PASSPHRASE,
      messages: o.messages,
      chats: o.chats,
      replyEvery: 10,
      engine: o.engine,
      log,
    })
    writeFileSync(manifest, JSON.stringify(build))
  }
  const journalMb = Math.round(statSync(join(dataDir, 'journal.db')).size / 2 ** 17) / 8
  const runs: Record<'tsx' | 'bundle', FootprintRun[]> = { tsx: [], bundle: [] }
  try {
    const bundle = o.mode === 'tsx' ? null : await bundleChild()
    const modes = o.mode === 'both' ? (['tsx', 'bundle'] as const) : [o.mode]
    for (let i = 0; i < o.runs; i++)
      for (const m of modes) {
        const r = await measureOnce({
          dataDir,
          agentId: build.agentId,
          settleMs: o.settleMs,
          idleMs: o.idleMs,
          gc: o.gc,
          bundle: m === 'bundle' ? bundle : null,
          ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}),
        })
        if (r.messages < build.messages)
          throw new Error(`the replica holds ${r.messages} messages, expected ${build.messages}`)
        log(
          `${m} run ${i + 1}: ready ${r.ready_offline_ms} ms, rss ${r.rss_mb} MB, idle cpu ${r.idle_cpu_pct} %`,
        )
        runs[m].push(r)
      }
  } finally {
    if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  const tsx = figures(runs.tsx)
  const bundled = figures(runs.bundle)
  // The headline is `kefu agent` as it runs (the bundle) when measured, else from source.
  const head = (bundled ?? tsx)!
  return {
    rss_mb: head.rss_mb,
    idle_cpu_pct: head.idle_cpu_pct,
    ready_offline_ms: head.ready_offline_ms,
    targets: TARGETS,
    met: {
      rss_mb: head.rss_mb < TARGETS.rss_mb,
      idle_cpu_pct: head.idle_cpu_pct < TARGETS.idle_cpu_pct,
      ready_offline_ms: head.ready_offline_ms < TARGETS.ready_offline_ms,
    },
    tsx,
    bundled,
    replica: {
      messages: build.messages,
      replies: build.replies,
      faq: build.faq,
      journal_mb: journalMb,
    },
    build_ms: build.build_ms,
    cloud_engine: build.engine,
    node_baseline_mb: nodeBaselineMb(),
    node_flags: o.nodeFlags ?? [],
    gc: o.gc,
    runs,
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '20000' },
      chats: { type: 'string', default: '500' },
      engine: { type: 'string', default: 'auto' },
      runs: { type: 'string', default: '3' },
      'idle-s': { type: 'string', default: '10' },
      'settle-s': { type: 'string', default: '5' },
      gc: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'bundle' },
      data: { type: 'string' },
      'node-flags': { type: 'string' },
      // The output is JSON either way (as the other benches' --json).
      json: { type: 'boolean', default: false },
    },
  })
  const { engine, mode } = values
  if (engine !== 'auto' && engine !== 'pglite' && engine !== 'postgres') {
    console.error(`--engine: expected auto, pglite or postgres, got "${engine}"`)
    return 2
  }
  if (mode !== 'tsx' && mode !== 'bundle' && mode !== 'both') {
    console.error(`--mode: expected tsx, bundle or both, got "${mode}"`)
    return 2
  }
  const result = await runFootprintBench({
    messages: Number(values.messages),
    chats: Number(values.chats),
    engine,
    runs: Number(values.runs),
    settleMs: Number(values['settle-s']) * 1000,
    idleMs: Number(values['idle-s']) * 1000,
    mode,
    gc: values.gc,
    dataDir: values.data,
    ...(values['node-flags']
      ? { nodeFlags: values['node-flags'].split(/\s+/).filter(Boolean) }
      : {}),
    log: (msg) => console.error(`[agent-footprint] ${msg}`),
  })
  console.log(JSON.stringify(result))
  return 0
}
