/**
 * `npm start`: the whole platform on one machine with nothing installed — the cloud on an
 * embedded PGlite database, one agent on the in-process WeChat stand-in (`sim` driver), and a
 * scripted stream of customers: greetings, FAQ questions and a complaint that hands off. The
 * flow is printed as it happens; the cloud keeps running for the console and the API.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { createLogger, importFaqFile, createEmbedderFor, embedderChoiceOf, loadCloudConfig, startCloud } from '@kefu/cloud'
import { createSimDriver, keyFromPassphrase, runAgent, loadAgentConfig } from '@kefu/agent'
import { newId, stableId } from '@kefu/schema'

type Env = Record<string, string | undefined>

const SCRIPT: { at: number; chat: string; text: string }[] = [
  { at: 500, chat: '张三', text: '你好' },
  { at: 3000, chat: '张三', text: '下单后多久发货啊' },
  { at: 7000, chat: '李四', text: '在吗，能开发票不' },
  { at: 11_000, chat: '王五', text: '快递几天能到上海' },
  { at: 15_000, chat: '李四', text: '你们这什么破东西，质量太差了，我要投诉！' },
  { at: 20_000, chat: '张三', text: '谢谢' },
]

/** The demo's rule set: the defaults, open every day around the clock. */
const DEMO_RULES = {
  businessHours: { days: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' })) },
}

const c = { dim: '\x1b[2m', cyan: '\x1b[36m', green: '\x1b[32m', yellow: '\x1b[33m', red: '\x1b[31m', reset: '\x1b[0m' }
const time = () => new Date().toTimeString().slice(0, 8)

export async function runDemo(argv: string[], env: Env): Promise<number> {
  const cloudConfig = loadCloudConfig(argv, { KEFU_AGENT_SECRET: 'kefu-demo-agent-secret', KEFU_DEBOUNCE_MS: '1500', LOG_LEVEL: 'warn', ...env })
  const logger = createLogger(cloudConfig.logLevel)
  const cloud = await startCloud({ config: cloudConfig, logger })
  const agentId = stableId('demo-agent')
  await cloud.db.query(`INSERT INTO agents (id, name) VALUES ($1::uuid, '演示客服 1号') ON CONFLICT (id) DO NOTHING`, [agentId])
  const faq = readFileSync(fileURLToPath(new URL('../demo/faq.jsonl', import.meta.url)), 'utf8')
  const embedder = await createEmbedderFor(embedderChoiceOf(cloudConfig))
  await importFaqFile(faq, 'jsonl', { db: cloud.db, embedder })
  // The default rules keep office hours (09:00–21:00, Shanghai), and a demo run in the evening
  // would show nothing but the after-hours notice: the demo publishes rules open around the
  // clock, unless rules were published in its database already.
  await cloud.db.transaction(async (tx) => {
    await tx.query(`SELECT set_config('kefu.origin', 'console', true)`)
    await tx.query(
      `INSERT INTO rules (id, version, status, body, published_at)
       SELECT $1::uuid, coalesce(max(version), 0) + 1, 'published', $2::text::jsonb, now() FROM rules
       HAVING NOT coalesce(bool_or(status = 'published'), false)`,
      [newId(), JSON.stringify(DEMO_RULES)],
    )
  })

  console.log(`\n${c.cyan}kefu demo${c.reset} — cloud at ${cloud.url} (${cloud.db.engine}, data in ${cloudConfig.dataDir})`)
  console.log(`${c.dim}  health ${cloud.url}/api/v1/health · metrics ${cloud.url}/metrics · Ctrl-C to stop${c.reset}`)
  console.log(`${c.dim}  one agent on the simulated WeChat; customers below are scripted. Replies come from the`)
  console.log(`  FAQ (curated answers), small talk, or are handed to a person (待人工) — no LLM is configured.${c.reset}\n`)

  const driver = createSimDriver()
  const agentConfig = loadAgentConfig([], {
    KEFU_CLOUD_URL: cloud.url,
    KEFU_AGENT_ID: agentId,
    KEFU_AGENT_SECRET: 'kefu-demo-agent-secret',
    KEFU_AGENT_DATA: env['KEFU_AGENT_DATA'] ?? './data/agent',
    KEFU_AGENT_PASSPHRASE: 'kefu-demo',
    KEFU_DRIVER: 'sim',
    KEFU_AGENT_AUTH: 'shared',
    LOG_LEVEL: 'warn',
  })
  const key = await keyFromPassphrase(agentConfig.dataDir, agentConfig.passphrase!)
  const agent = await runAgent(agentConfig, pino({ level: 'warn' }), { driver, key })

  // Print what the simulated WeChat shows: customer bubbles in, our bubbles out.
  let printed = 0
  const states = new Map<string, string>()
  const watch = setInterval(() => {
    void (async () => {
      for (const s of driver.sent().slice(printed)) {
        const r = await agent.agent.replica.db.query<{ origin: string; confidence: number | null }>(
          `SELECT r.origin, r.confidence FROM replies_all r JOIN conversations_all c ON c.id = r.conversation_id
            WHERE c.chat_key = $1 AND r.text = $2 LIMIT 1`,
          [s.chatKey, s.text],
        )
        const how = r[0] ? `${r[0].origin}${r[0].confidence !== null ? ` ${r[0].confidence.toFixed(2)}` : ''}` : ''
        console.log(`${c.dim}${time()}${c.reset} ${c.green}客服 → ${s.chatKey}${c.reset}: ${s.text} ${c.dim}(${how})${c.reset}`)
        printed++
      }
      const convs = await agent.agent.replica.db.query<{ chat_key: string; state: string }>(`SELECT chat_key, state FROM conversations`)
      for (const cv of convs) {
        if (states.get(cv.chat_key) !== cv.state && ['waiting_human', 'human'].includes(cv.state))
          console.log(`${c.dim}${time()}${c.reset} ${c.red}转人工${c.reset}: ${cv.chat_key} 的会话已交给人工 (${cv.state})`)
        states.set(cv.chat_key, cv.state)
      }
    })()
  }, 300)

  const t0 = Date.now()
  const timers = SCRIPT.map((m) =>
    setTimeout(() => {
      console.log(`${c.dim}${time()}${c.reset} ${c.yellow}顾客 ${m.chat}${c.reset}: ${m.text}`)
      driver.pushCustomerMessage(m.chat, m.text)
    }, m.at),
  )
  const done = setTimeout(() => {
    const s = agent.agent.status()
    console.log(`\n${c.cyan}script done${c.reset} after ${Math.round((Date.now() - t0) / 1000)} s: ${s.captured} captured, ${s.sent} sent, outbox ${s.outboxDepth}.`)
    console.log(`${c.dim}The cloud and agent keep running; Ctrl-C to stop.${c.reset}`)
  }, 27_000)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
    if (env['KEFU_DEMO_EXIT_AFTER_MS']) setTimeout(resolve, Number(env['KEFU_DEMO_EXIT_AFTER_MS']))
  })
  clearInterval(watch)
  clearTimeout(done)
  timers.forEach(clearTimeout)
  await agent.stop()
  await cloud.close()
  return 0
}
