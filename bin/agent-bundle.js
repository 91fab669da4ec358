// The headless agent as one esbuild bundle, the way `kefu agent` runs it.
//
// The sources are TypeScript, and through tsx every module is compiled at load and kept with
// its source map: for a process that stays up beside WeChat all day that is ~80 MB of RSS and
// a slower start (bench/agent-footprint measures both). So `kefu agent` runs a bundle of
// cli/src/agent-command.ts under plain Node, built on first use and rebuilt when any of its
// inputs changed (edited sources, a new migration, another esbuild), into
// node_modules/.cache/kefu/agent-bundle/<build>/:
//
//   main/kefu-agent.mjs   the bundle (native, wasm and worker-loading packages stay external
//                         and resolve from the repository's node_modules)
//   agent/*.sql           the replica migrations, where the bundled `migrate()` looks for them
//
// beside `current.json`, which names the newest build and holds every input with its size and
// mtime (the freshness check). Builds go to a fresh folder and `current.json` is replaced
// atomically, so two agents starting at once never read a half-written bundle.
// Plain JavaScript: it runs before tsx is loaded.
import { createHash } from 'node:crypto'
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Left to node_modules at run time: native addons, wasm, and packages that load workers. */
export const AGENT_EXTERNALS = [
  '@electric-sql/pglite',
  '@electric-sql/pglite-pgvector',
  'better-sqlite3',
  '@nut-tree-fork/nut-js',
  'tesseract.js',
]

/** CommonJS dependencies inside an ESM bundle still call require(). */
const REQUIRE_BANNER =
  "import { createRequire as __kefuRequire } from 'node:module'; const require = __kefuRequire(import.meta.url);"

/** The folder of the replica migrations (the one `migrate(db, 'agent')` reads). */
function agentMigrationsDir() {
  const entry = createRequire(import.meta.url).resolve('@kefu/migrations')
  return join(dirname(entry), '..', 'agent')
}

const sqlFiles = (dir) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort()

/**
 * Bundles `entry` into `outDir/main/<name>.mjs`, with the replica migrations in `outDir/agent/`.
 * Returns the bundle's path and its inputs (absolute paths, the SQL included).
 * @param {{ entry: string, outDir: string, name: string, minify?: boolean }} o
 * @returns {Promise<{ file: string, inputs: string[] }>}
 */
export async function bundleAgentEntry(o) {
  const { build } = await import('esbuild')
  const file = join(o.outDir, 'main', `${o.name}.mjs`)
  const result = await build({
    entryPoints: [o.entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: AGENT_EXTERNALS,
    minify: o.minify ?? false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    charset: 'utf8',
    banner: { js: REQUIRE_BANNER },
  })
  const sql = agentMigrationsDir()
  mkdirSync(join(o.outDir, 'agent'), { recursive: true })
  for (const f of sqlFiles(sql)) copyFileSync(join(sql, f), join(o.outDir, 'agent', f))
  // metafile paths are relative to esbuild's working directory.
  const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(process.cwd(), p))
  return { file, inputs: [...inputs, ...sqlFiles(sql).map((f) => join(sql, f))] }
}

const stamp = (path) => {
  try {
    const s = statSync(path)
    return `${s.size}:${s.mtimeMs}`
  } catch {
    return 'missing'
  }
}

/**
 * Whether a build recorded in `manifest` still matches its inputs: every input unchanged, the
 * same migrations, the same esbuild.
 */
export function isFresh(manifest, esbuildVersion) {
  if (!manifest || manifest.esbuild !== esbuildVersion) return false
  if (stamp(manifest.file) === 'missing') return false
  const sql = agentMigrationsDir()
  const now = sqlFiles(sql).map((f) => join(sql, f))
  const recorded = Object.keys(manifest.inputs).filter((p) => p.endsWith('.sql') && dirname(p) === sql)
  if (now.length !== recorded.length || now.some((p) => !(p in manifest.inputs))) return false
  return Object.entries(manifest.inputs).every(([p, s]) => stamp(p) === s)
}

const esbuildVersion = () =>
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'))
    .version

const readJson = (path) => {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

/**
 * The path of an up-to-date bundle of `kefu agent`, building it first when there is none or an
 * input changed. `cacheDir` defaults to $KEFU_AGENT_BUNDLE_DIR, else
 * node_modules/.cache/kefu/agent-bundle.
 * @param {{ cacheDir?: string, entry?: string }} [o]
 * @returns {Promise<{ file: string, built: boolean }>}
 */
export async function agentBundle(o = {}) {
  const cacheDir =
    o.cacheDir ??
    process.env.KEFU_AGENT_BUNDLE_DIR ??
    join(ROOT, 'node_modules', '.cache', 'kefu', 'agent-bundle')
  const entry = o.entry ?? join(ROOT, 'cli', 'src', 'agent-command.ts')
  const version = esbuildVersion()
  const current = readJson(join(cacheDir, 'current.json'))
  if (current?.entry === entry && isFresh(current, version)) return { file: current.file, built: false }

  // Stamps are taken before the build: a file edited during the build makes the next start
  // rebuild rather than miss the edit.
  const id = `${Date.now().toString(36)}-${createHash('sha256').update(`${process.pid}:${Math.random()}`).digest('hex').slice(0, 8)}`
  const outDir = join(cacheDir, id)
  const { file, inputs } = await bundleAgentEntry({ entry, outDir, name: 'kefu-agent' })
  const manifest = {
    entry,
    file,
    esbuild: version,
    builtAt: new Date().toISOString(),
    inputs: Object.fromEntries(inputs.map((p) => [p, stamp(p)])),
  }
  const tmp = join(cacheDir, `current.${id}.json`)
  writeFileSync(tmp, JSON.stringify(manifest))
  renameSync(tmp, join(cacheDir, 'current.json'))
  // Older builds go, except any written in the last minute (another agent may be starting on it).
  for (const e of readdirSync(cacheDir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === id) continue
    const dir = join(cacheDir, e.name)
    if (Date.now() - statSync(dir).mtimeMs > 60_000) rmSync(dir, { recursive: true, force: true })
  }
  return { file, built: true }
}

/** For messages: a path relative to the repository. */
export const fromRoot = (p) => relative(ROOT, p)

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { file, built } = await agentBundle()
  process.stdout.write(`${built ? 'built' : 'up to date'}: ${fromRoot(file)}\n`)
}
