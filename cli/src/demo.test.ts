import { afterAll, expect, test } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { until } from '../../e2e/support/until.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'kefu-demo-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// `npm start` as a newcomer sees it: the embedded cloud, one agent on the simulated WeChat and
// the scripted customers, answered from the FAQ at whatever hour it runs, the complaint handed
// to a person.
test('the demo answers the scripted customers from the FAQ and hands the complaint off', async () => {
  const child = spawn(process.execPath, ['bin/kefu.js', 'demo', '--port', '0', '--data', join(dir, 'cloud')], {
    cwd: ROOT,
    env: { ...process.env, KEFU_AGENT_DATA: join(dir, 'agent'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  // eslint-disable-next-line no-control-regex
  const plain = () => out.replace(/\x1b\[[0-9;]*m/g, '')
  const expected = [/客服 → 张三: .+\(faq /, /客服 → 李四: .+\(faq /, /客服 → 王五: .+\(faq /, /转人工: 李四/, /script done.*: 6 captured/]
  try {
    await until(() => expected.every((re) => re.test(plain())), 100_000, 'the demo script', { diag: plain, everyMs: 250 })
    for (const re of expected) expect(plain()).toMatch(re)
    // Whatever the hour: the demo's rules keep it open.
    expect(plain()).not.toMatch(/非工作时间/)
  } finally {
    child.kill('SIGTERM')
  }
  expect(await exited).toBe(0)
}, 150_000)
