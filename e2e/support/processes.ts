/** Child processes for kill -9 tests: the cloud (`kefu cloud`) and an agent (agent-child.ts). */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export async function waitHealthy(url: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`cloud at ${url} did not become healthy`)
}

/**
 * A loopback port free right now, chosen by the system: a port picked at random can be one a
 * service or a connection already holds, and the cloud would then fail to start.
 */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export function spawnCloud(port: number, env: Record<string, string>, nodeArgs: readonly string[] = []): ChildProcess {
  const p = spawn(process.execPath, [...nodeArgs, 'bin/kefu.js', 'cloud', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return p
}

export function forkAgent(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = fork(`${ROOT}/e2e/support/agent-child.ts`, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`agent exited early (${code})`)))
    child.on('message', (m: { type: string }) => {
      if (m.type === 'ready') resolve()
    })
  })
  ready.catch(() => {})
  return { child, ready }
}

export function kill9(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve()
    p.once('exit', () => resolve())
    p.kill('SIGKILL')
  })
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
