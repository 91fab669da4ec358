/**
 * A process of the sync bench that runs some of its agents (real agents each have a machine;
 * here they share the bench's cores, a process per core, not one thread for all of them).
 * Each agent is a real headless agent (PGlite replica through pglite-sync); a trigger on the
 * replica tables the bench writes notifies when rows land, and each arrival is reported to
 * the parent with a timestamp on the clock every process shares (`timeOrigin + now()`).
 *
 * IPC in: `{ type: 'start', cloudUrl, secret, agents: [index, agentId][] }`, `{ type: 'profile',
 * dir }` (any time), then `{ type: 'stop' }`. Out: `{ type: 'ready' }`, `{ type: 'seen', rows:
 * [index, rowId, atMs][] }` every few milliseconds, `{ type: 'profiled' }`, `{ type: 'stopped' }`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { applyAgentV8Flags, createKefuAgent, sharedSecret, type KefuAgent } from '@kefu/agent'

// As `runAgent` does for a real agent, before any replica's WebAssembly is compiled: the
// agents here run as they would in production.
applyAgentV8Flags()

interface Start {
  type: 'start'
  cloudUrl: string
  secret: string
  agents: [number, string][]
}

const now = () => performance.timeOrigin + performance.now()
const agents: KefuAgent[] = []
const dirs: string[] = []
let pending: [number, string, number][] = []
const flush = setInterval(() => {
  if (pending.length === 0) return
  process.send?.({ type: 'seen', rows: pending })
  pending = []
}, 5)

async function start(m: Start): Promise<void> {
  for (const [index, agentId] of m.agents) {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-'))
    dirs.push(dir)
    const a = createKefuAgent({
      cloudUrl: m.cloudUrl,
      agentId,
      credentials: sharedSecret(agentId, m.secret),
      dataDir: dir,
      key: randomBytes(32),
      logger: pino({ level: 'silent' }),
      offlineAnswers: false,
    })
    await a.start()
    // One notification per statement (pglite-sync inserts a batch of rows in one), not per
    // row: the harness should cost the replica as little as it can. Ids in chunks that fit a
    // notification's 8000-byte payload (only an initial sync has that many).
    await a.replica.db.exec(`CREATE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ids text;
      BEGIN
        SELECT string_agg(id::text, ',') INTO ids FROM new_rows;
        IF length(ids) < 7900 THEN
          PERFORM pg_notify('bench', ids);
        ELSE
          FOR ids IN SELECT string_agg(id::text, ',') FROM (SELECT id, (row_number() OVER ()) / 150 AS chunk FROM new_rows) r GROUP BY chunk LOOP
            PERFORM pg_notify('bench', ids);
          END LOOP;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER bench_seen AFTER INSERT ON replies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_seen();
      CREATE TRIGGER bench_seen AFTER INSERT ON faq REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_seen();`)
    await a.replica.db.listen('bench', (ids) => {
      const at = now()
      for (const id of ids.split(',')) pending.push([index, id, at])
    })
    agents.push(a)
  }
  process.send?.({ type: 'ready' })
}

async function stop(): Promise<void> {
  for (const a of agents) await a.stop({ checkpoint: false }).catch(() => {})
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  clearInterval(flush)
  if (pending.length) process.send?.({ type: 'seen', rows: pending })
  process.send?.({ type: 'stopped' }, () => process.exit(0))
}

/**
 * A V8 CPU profile of this process from now on (`dir` set) or until now (`dir` null: written
 * there as `agent-host-<pid>.cpuprofile`): the measured load alone, not the agents' start.
 */
let profiling: { session: Session; dir: string } | null = null
async function profile(dir: string | null): Promise<void> {
  if (dir !== null) {
    const session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
    profiling = { session, dir }
  } else if (profiling) {
    const { session, dir } = profiling
    profiling = null
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(join(dir, `agent-host-${process.pid}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
  process.send?.({ type: 'profiled' })
}

process.on('message', (m: Start | { type: 'stop' } | { type: 'profile'; dir: string | null }) => {
  if (m.type === 'start') void start(m)
  else if (m.type === 'profile') void profile(m.dir)
  else if (m.type === 'stop') void stop()
})
// The parent gone: nothing to report to.
process.on('disconnect', () => process.exit(0))
