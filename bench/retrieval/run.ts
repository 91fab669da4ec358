/**
 * CLI: prints the retrieval evaluation as JSON, for the lexical embedder and the tiny model.
 *
 *   npx tsx bench/retrieval/run.ts [--embedder lexical|transformers|both] [--model models/tiny-zh]
 *     [--faq bench/data/faq-zh.jsonl] [--queries bench/data/queries-zh.jsonl] [--json]
 *
 * Always one JSON object (`--json` is accepted like every other bench's): `{lexical, transformers}`,
 * each `{n, hit_at_1, hit_at_5, mrr, p50_ms, p95_ms}`.
 */
import { parseArgs } from 'node:util'
import { evalRetrieval } from './eval-retrieval.ts'

const { values } = parseArgs({
  options: {
    embedder: { type: 'string', default: 'both' },
    model: { type: 'string', default: 'models/tiny-zh' },
    faq: { type: 'string', default: 'bench/data/faq-zh.jsonl' },
    queries: { type: 'string', default: 'bench/data/queries-zh.jsonl' },
    json: { type: 'boolean', default: true },
  },
})
const which =
  values.embedder === 'both' ? (['lexical', 'transformers'] as const) : [values.embedder]
const out: Record<string, unknown> = {}
for (const embedder of which) {
  if (embedder !== 'lexical' && embedder !== 'transformers')
    throw new Error(`unknown embedder "${embedder}" (lexical | transformers | both)`)
  out[embedder] = await evalRetrieval({
    faqPath: values.faq,
    queriesPath: values.queries,
    embedder,
    modelDir: values.model,
  })
}
console.log(JSON.stringify(out))
