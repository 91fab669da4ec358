#!/usr/bin/env node
// The `kefu` command. The sources are TypeScript run through tsx, so there is no build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/src/main.ts')
process.exitCode = await main(process.argv.slice(2), process.env)
