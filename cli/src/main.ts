/**
 * `kefu <command>`: the one entry point that reads argv and the environment. Commands get
 * typed configs from their declarative specs; `--help` prints those same specs.
 */
import { ConfigError } from '@kefu/schema'
import {
  cloudHelp,
  createEmbedderFor,
  createLogger,
  documentFromMarkdown,
  embedderChoiceOf,
  FaqImportError,
  importDocuments,
  importFaqFile,
  loadCloudConfig,
  startCloud,
  type ImportProgress,
} from '@kefu/cloud'
import { existsSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { parseArgs } from 'node:util'
import { migrate, openDb } from '@kefu/migrations'
import { runAgentCommand } from './agent-command.ts'
import { runDemo } from './demo.ts'

type Env = Record<string, string | undefined>

const COMMANDS: Record<string, { help: string; run: (argv: string[], env: Env) => Promise<number> }> = {
  cloud: { help: 'run the cloud (API, shapes, workers) on embedded PGlite or DATABASE_URL', run: runCloud },
  agent: { help: 'run the headless agent beside WeChat (`kefu agent status` shows a running one)', run: runAgentCommand },
  migrate: { help: 'apply pending migrations to the cloud database and exit', run: runMigrate },
  kb: { help: 'knowledge base: `kefu kb import FILE` loads FAQ (jsonl, csv) or documents (md)', run: runKb },
  eval: { help: 'measure retrieval: `kefu eval retrieval --faq F --queries Q [--json]`', run: runEval },
  demo: { help: 'the embedded demo: cloud + one agent on simulated WeChat + scripted customers (what `npm start` runs)', run: runDemo },
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

const KB_USAGE = `Usage: kefu kb import FILE... [--format jsonl|csv|md] [cloud options]

Imports FAQ entries (JSONL or CSV: question, answer, variants, tags) or Markdown/text documents
into the cloud database (DATABASE_URL, or the embedded one in --data). Re-importing a file
updates what changed and writes nothing else. Uses the cloud's embedder (KEFU_EMBEDDER), which
must match the running cloud's. With the embedded database, stop \`kefu cloud\` first.`

const FORMAT_OF: Record<string, 'jsonl' | 'csv' | 'md'> = {
  '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'jsonl', '.csv': 'csv', '.md': 'md', '.markdown': 'md', '.txt': 'md',
}

async function runKb(argv: string[], env: Env): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'import' || rest.includes('--help')) {
    console.log(KB_USAGE)
    return sub === '--help' || rest.includes('--help') ? 0 : 2
  }
  // FILE... come first; then --format, then any `kefu cloud` option (--data, --embedder, …).
  const at = rest.findIndex((a) => a.startsWith('--'))
  const files = at < 0 ? rest : rest.slice(0, at)
  let options = at < 0 ? [] : rest.slice(at)
  let format: string | undefined
  const f = options.findIndex((a) => a === '--format' || a.startsWith('--format='))
  if (f >= 0) {
    format = options[f]!.includes('=') ? options[f]!.slice('--format='.length) : options[f + 1]
    options = options.filter((_, i) => i !== f && !(i === f + 1 && !options[f]!.includes('=')))
  }
  if (files.length === 0) throw new ConfigError('FILE', `which file? \n\n${KB_USAGE}`)
  const formats = ['jsonl', 'csv', 'md'] as const
  const forced = formats.find((x) => x === format)
  if (format !== undefined && forced === undefined)
    throw new ConfigError('--format', `expected jsonl, csv or md, got "${format}"`)
  const config = loadCloudConfig(options, env)
  const embedder = await createEmbedderFor(embedderChoiceOf(config))
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  // Progress on stderr for long imports only: a line that updates on a terminal, else every 1000.
  const progress = (label: string, long: number) => (p: ImportProgress) => {
    if (p.total < long || p.done === 0) return
    if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${p.done}/${p.total}${p.done === p.total ? '\n' : ''}`)
    else if (p.done === p.total || p.done % 1000 === 0) process.stderr.write(`${label}: ${p.done}/${p.total}\n`)
  }
  for (const file of files) if (!existsSync(file)) throw new ConfigError('FILE', `no such file: ${file}`)
  try {
    await migrate(db, 'cloud')
    const docs = []
    for (const file of files) {
      const fmt = forced ?? FORMAT_OF[extname(file).toLowerCase()]
      if (!fmt) throw new ConfigError('--format', `cannot tell the format of ${file}; pass --format jsonl|csv|md`)
      const content = readFileSync(file, 'utf8')
      if (fmt === 'md') {
        docs.push(documentFromMarkdown(file, content))
        continue
      }
      try {
        const r = await importFaqFile(content, fmt, { db, embedder, onProgress: progress(file, 500) })
        console.log(`${file}: FAQ ${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged (embedder ${embedder.id})`)
      } catch (err) {
        if (!(err instanceof FaqImportError)) throw err
        console.error(`${file}: nothing imported; ${err.issues.length} row(s) need fixing:`)
        for (const i of err.issues.slice(0, 20)) console.error(`  line ${i.line}: ${i.message}`)
        return 1
      }
    }
    if (docs.length > 0) {
      const r = await importDocuments(docs, { db, embedder, onProgress: progress('documents', 20) })
      console.log(`documents: ${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged, ${r.chunks} chunks (embedder ${embedder.id})`)
    }
  } finally {
    await db.close()
  }
  return 0
}

const EVAL_USAGE = `Usage: kefu eval retrieval --faq FAQ.jsonl --queries QUERIES.jsonl
         [--embedder lexical|transformers] [--model-dir models/tiny-zh] [--json]

Imports the FAQ into a scratch in-memory database, runs every query ({"query","faq_id"} per line)
through the reply pipeline's retriever and prints hit@1, hit@5, MRR and search latency.`

async function runEval(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'retrieval' || rest.includes('--help')) {
    console.log(EVAL_USAGE)
    return sub === '--help' || rest.includes('--help') ? 0 : 2
  }
  let values
  try {
    values = parseArgs({
      args: rest,
      options: {
        faq: { type: 'string' },
        queries: { type: 'string' },
        embedder: { type: 'string', default: 'lexical' },
        'model-dir': { type: 'string', default: 'models/tiny-zh' },
        json: { type: 'boolean', default: false },
      },
    }).values
  } catch (err) {
    throw new ConfigError('retrieval', `${(err as Error).message}\n\n${EVAL_USAGE}`)
  }
  if (!values.faq || !values.queries) throw new ConfigError('--faq/--queries', `both are required\n\n${EVAL_USAGE}`)
  const [kind, dir] = values.embedder.split(/:(.*)/s)
  if (kind !== 'lexical' && kind !== 'transformers')
    throw new ConfigError('--embedder', `expected lexical or transformers, got "${values.embedder}"`)
  // Loaded on demand: the bench code and its scratch database are not part of `kefu cloud`.
  const { evalRetrieval } = await import('../../bench/retrieval/eval-retrieval.ts')
  const r = await evalRetrieval({
    faqPath: values.faq,
    queriesPath: values.queries,
    embedder: kind,
    modelDir: dir || values['model-dir'],
  })
  const out = { n: r.n, hit_at_1: r.hit_at_1, hit_at_5: r.hit_at_5, mrr: r.mrr, p50_ms: r.p50_ms, p95_ms: r.p95_ms }
  if (values.json) console.log(JSON.stringify(out))
  else
    console.log(
      `${out.n} queries, embedder ${values.embedder}: hit@1 ${out.hit_at_1}, hit@5 ${out.hit_at_5}, MRR ${out.mrr}; search p50 ${out.p50_ms} ms, p95 ${out.p95_ms} ms`,
    )
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
