#!/usr/bin/env node
// The `kefu` command. The sources are TypeScript run through tsx, so there is no build step —
// except for `kefu agent`, which stays up beside WeChat all day: it runs as a bundle under plain
// Node (built on first use and whenever its sources change; bin/agent-bundle.js), which halves
// what tsx would add to its memory and start. KEFU_AGENT_FROM_SOURCE=1 runs it through tsx.
const argv = process.argv.slice(2)

async function agentFromBundle() {
  try {
    const { agentBundle } = await import('./agent-bundle.js')
    return (await agentBundle()).file
  } catch (err) {
    process.stderr.write(`kefu agent: could not build the agent bundle, running from source (${err.message})\n`)
    return null
  }
}

const bundle =
  argv[0] === 'agent' && process.env.KEFU_AGENT_FROM_SOURCE !== '1' ? await agentFromBundle() : null
if (bundle) {
  const { pathToFileURL } = await import('node:url')
  const { runAgentCommand } = await import(pathToFileURL(bundle).href)
  process.exitCode = await runAgentCommand(argv.slice(1), process.env)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  const { main } = await import('../cli/src/main.ts')
  process.exitCode = await main(argv, process.env)
}
