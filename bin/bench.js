#!/usr/bin/env node
// `npm run bench -- <name> [options]`: runs one benchmark. The sources are TypeScript run
// through tsx, like bin/kefu.js. A bench module exports `main(argv)` returning an exit code;
// one without it is a script that reads process.argv when imported.
import { register } from 'tsx/esm/api'

/** Benchmark name → module, relative to this file. */
const BENCHES = {
  sync: '../bench/sync/sync-bench.ts',
  pipeline: '../bench/pipeline/pipeline-bench.ts',
  retrieval: '../bench/retrieval/run.ts',
  capture: '../bench/capture/main.ts',
  'agent-footprint': '../bench/agent-footprint/main.ts',
}

const [name, ...args] = process.argv.slice(2)
if (!name || !Object.hasOwn(BENCHES, name)) {
  console.error(`Usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`)
  process.exit(name ? 2 : 1)
}
register()
const url = new URL(BENCHES[name], import.meta.url)
// Script-style benches parse process.argv themselves: make it look as if they were run directly.
process.argv = [process.argv[0], url.pathname, ...args]
const mod = await import(url.href)
// A bench is done when main resolves; a stray handle (a pool, a timer) must not keep it alive.
if (typeof mod.main === 'function') process.exit((await mod.main(args)) ?? 0)
