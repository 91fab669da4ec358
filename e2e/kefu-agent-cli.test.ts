import { afterAll, expect, test } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { agentBundle } from '../bin/agent-bundle.js'
import { startTestCloud, AGENT_SECRET } from '../cloud/src/testing/test-cloud.ts'
import { until } from './support/until.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// Inside the repository: the bundle's external packages resolve from its node_modules.
mkdirSync(join(ROOT, '.tmp'), { recursive: true })
const tmp = mkdtempSync(join(ROOT, '.tmp', 'agent-cli-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

test('the agent bundle is built once and rebuilt when an input changes', async () => {
  const cacheDir = join(tmp, 'cache-fresh')
  const entry = join(tmp, 'entry.ts')
  writeFileSync(entry, `import { newId } from '@kefu/schema'\nexport const answer = (): number => 41 + (newId() ? 1 : 0)\n`)
  const first = await agentBundle({ cacheDir, entry })
  expect(first.built).toBe(true)
  expect(((await import(first.file)) as { answer(): number }).answer()).toBe(42)
  // The replica migrations sit where the bundled migrate() reads them.
  const sql = readFileSync(join(first.file, '..', '..', 'agent', '0001_replica.sql'), 'utf8')
  expect(sql).toMatch(/CREATE TABLE/i)

  const again = await agentBundle({ cacheDir, entry })
  expect(again).toEqual({ file: first.file, built: false })

  writeFileSync(entry, `export const answer = (): number => 43\n`)
  utimesSync(entry, new Date(), new Date(Date.now() + 5_000))
  const rebuilt = await agentBundle({ cacheDir, entry })
  expect(rebuilt.built).toBe(true)
  expect(rebuilt.file).not.toBe(first.file)
  expect(((await import(rebuilt.file)) as { answer(): number }).answer()).toBe(43)
  const manifest = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8')) as { file: string; inputs: Record<string, string> }
  expect(manifest.file).toBe(rebuilt.file)
  expect(Object.keys(manifest.inputs)).toContain(entry)
}, 60_000)

test('`kefu agent` runs from its bundle: starts against a cloud, writes its status, stops on SIGTERM', async () => {
  const cloud = await startTestCloud()
  const cacheDir = join(tmp, 'cache-cli')
  const dataDir = join(tmp, 'agent-data')
  const env = { ...process.env, KEFU_AGENT_BUNDLE_DIR: cacheDir, KEFU_AGENT_SECRET: AGENT_SECRET, KEFU_AGENT_PASSPHRASE: 'cli-test-passphrase', LOG_LEVEL: 'error' }
  try {
    const agentId = await cloud.createAgent('命令行')
    const args = ['bin/kefu.js', 'agent', '--cloud', cloud.url, '--agent-id', agentId, '--driver', 'sim', '--data', dataDir, '--auth', 'shared']
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    await until(() => out.includes(`kefu agent ${agentId} running`), 60_000, 'the agent to start', { diag: () => ({ out, err }) })
    // It ran the bundle it built, not the sources through tsx.
    expect(err).not.toMatch(/running from source/)
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'current.json'), 'utf8')) as { file: string }
    expect(existsSync(manifest.file)).toBe(true)
    expect(manifest.file.startsWith(cacheDir)).toBe(true)

    // The agent reaches the cloud: `kefu agent status` shows it online.
    const status = () => spawnSync(process.execPath, ['bin/kefu.js', 'agent', 'status', '--data', dataDir], { cwd: ROOT, env, encoding: 'utf8' })
    await until(() => /cloud:\s+online/.test(status().stdout), 30_000, 'the status file to say online', { diag: () => status().stdout })
    const s = status()
    expect(s.status).toBe(0)
    expect(s.stdout).toContain(`agent ${agentId} (pid ${child.pid})`)

    child.kill('SIGTERM')
    expect(await exited).toBe(0)

    // Bad configuration is a clear error and exit code 2, from the bundle too.
    const bad = spawnSync(process.execPath, ['bin/kefu.js', 'agent', '--driver', 'sim', '--data', dataDir], { cwd: ROOT, env, encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/--agent-id \(or KEFU_AGENT_ID\) is required/)
  } finally {
    await cloud.destroy()
  }
}, 120_000)
