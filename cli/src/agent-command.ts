/**
 * `kefu agent [status] [options]`: the headless agent beside WeChat. Kept apart from the other
 * commands because `kefu agent` runs it as a bundle under plain Node (bin/agent-bundle.js), so
 * it imports the agent and nothing of the cloud.
 */
import { pino } from 'pino'
import { ConfigError } from '@kefu/schema'
import { agentHelp, AgentConfigError, formatStatus, loadAgentConfig, readStatusFile, runAgent } from '@kefu/agent'

type Env = Record<string, string | undefined>

export async function runAgentCommand(argv: string[], env: Env): Promise<number> {
  if (argv.includes('--help')) {
    console.log(agentHelp())
    return 0
  }
  try {
    if (argv[0] === 'status') {
      const config = loadAgentConfig(argv.slice(1), env)
      const s = readStatusFile(config.dataDir)
      console.log(formatStatus(s))
      return s ? 0 : 1
    }
    const config = loadAgentConfig(argv, env)
    const logger = pino({ level: config.logLevel, base: { app: 'kefu-agent' } })
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
    if (err instanceof ConfigError) {
      console.error(`kefu agent: ${err.message}`)
      return 2
    }
    throw err
  }
}
