/**
 * `kefu <command>`: the one entry point that reads argv and the environment. Commands get
 * typed configs from their declarative specs; `--help` prints those same specs.
 */
import { ConfigError } from '@kefu/schema'
import { cloudHelp, createLogger, loadCloudConfig, startCloud } from '@kefu/cloud'
import { migrate, openDb } from '@kefu/migrations'
import { agentHelp, AgentConfigError, formatStatus, loadAgentConfig, readStatusFile, runAgent } from '@kefu/agent'
import { pino } from 'pino'

type Env = Record<string, string | undefined>

const COMMANDS: Record<string, { help: string; run: (argv: string[], env: Env) => Promise<number> }> = {
  cloud: { help: 'run the cloud (API, shapes, workers) on embedded PGlite or DATABASE_URL', run: runCloud },
  agent: { help: 'run the headless agent beside WeChat (`kefu agent status` shows a running one)', run: runAgentCmd },
  migrate: { help: 'apply pending migrations to the cloud database and exit', run: runMigrate },
  demo: { help: 'the embedded demo (what `npm start` runs)', run: runCloud },
}

function usage(): string {
  const lines = ['kefu (客服) — customer service over personal WeChat', '', 'Usage: kefu <command> [options]', '', 'Commands:']
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.help}`)
  lines.push('', 'Run `kefu <command> --help` for the options of a command.')
  return lines.join('\n')
}

async function runCloud(argv: string[], env: Env): Promise<number> {
  if (argv.includes('--help')) {
    console.log(cloudHelp())
    return 0
  }
  const config = loadCloudConfig(argv, env)
  const logger = createLogger(config.logLevel)
  const cloud = await startCloud({ config, logger })
  console.log(`kefu cloud listening on ${cloud.url} (${cloud.db.engine}${cloud.db.engine === 'pglite' ? ` in ${config.dataDir}` : ''})`)
  console.log(`  health:  ${cloud.url}/api/v1/health`)
  console.log(`  metrics: ${cloud.url}/metrics`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await cloud.close()
  return 0
}

async function runAgentCmd(argv: string[], env: Env): Promise<number> {
  if (argv.includes('--help')) {
    console.log(agentHelp())
    return 0
  }
  if (argv[0] === 'status') {
    const config = loadAgentConfig(argv.slice(1), env)
    const s = readStatusFile(config.dataDir)
    console.log(formatStatus(s))
    return s ? 0 : 1
  }
  const config = loadAgentConfig(argv, env)
  const logger = pino({ level: config.logLevel, base: { app: 'kefu-agent' } })
  try {
    const running = await runAgent(config, logger)
    console.log(`kefu agent ${config.agentId} running (driver ${config.driver}, cloud ${config.cloud}, data ${config.dataDir})`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    await running.stop()
    return 0
  } catch (err) {
    if (err instanceof AgentConfigError) {
      console.error(`kefu agent: ${err.message}\n\n${agentHelp()}`)
      return 2
    }
    throw err
  }
}

async function runMigrate(argv: string[], env: Env): Promise<number> {
  if (argv.includes('--help')) {
    console.log('Usage: kefu migrate [--data DIR]\n\nApplies pending migrations to DATABASE_URL, or to the embedded database in --data (default ./data/cloud).')
    return 0
  }
  const config = loadCloudConfig(argv, env)
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  try {
    const r = await migrate(db, 'cloud')
    console.log(`schema version ${r.version}; applied ${r.applied.length ? r.applied.join(', ') : 'nothing (up to date)'}`)
  } finally {
    await db.close()
  }
  return 0
}

/** Runs `kefu` with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], env: Env): Promise<number> {
  const [cmd, ...rest] = argv
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage())
    return cmd ? 0 : 1
  }
  const c = COMMANDS[cmd]
  if (!c) {
    console.error(`unknown command "${cmd}"\n\n${usage()}`)
    return 2
  }
  try {
    return await c.run(rest, env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`kefu ${cmd}: ${err.message}`)
      return 2
    }
    throw err
  }
}
