/**
 * Builds the desktop agent into `electron/dist/` (or `--out DIR`) with esbuild:
 *
 *   dist/main/main.js        main process, ESM, Node platform (native and wasm packages external)
 *   dist/agent/*.sql         the replica migrations, where the bundled `migrate()` looks for them
 *   dist/preload.cjs         preload, CommonJS (a sandboxed preload can only require 'electron')
 *   dist/renderer/           index.html, styles.css, app.js (IIFE for the browser)
 *
 * `migrate()` finds its SQL at `new URL('..', import.meta.url)/<target>`: from the source that
 * is `migrations/`, from the bundle it is `dist/`, hence main one level down and the SQL copy.
 * Usage: `npm run build -w electron` (or `tsx electron/scripts/build.ts [--out DIR]`).
 */
import { build, type BuildOptions } from 'esbuild'
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { AGENT_EXTERNALS } from '../../bin/agent-bundle.js'

const ELECTRON_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ELECTRON_DIR, 'src')

/** Left to `node_modules` at run time: Electron itself, and what `kefu agent`'s bundle leaves
 *  there (native addons, wasm and worker loaders; bin/agent-bundle.js). */
export const EXTERNALS = ['electron', ...AGENT_EXTERNALS] as const

export interface ElectronBuildOptions {
  /** Default `electron/dist`; emptied first. */
  outDir?: string
  minify?: boolean
}

export interface ElectronBuildResult {
  outDir: string
  /** Every file written, relative to `outDir`. */
  files: string[]
}

const common: BuildOptions = {
  bundle: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'utf8',
}

/** The folder of the replica migrations (the one `migrate(db, 'agent')` reads). */
function agentMigrationsDir(): string {
  const entry = createRequire(import.meta.url).resolve('@kefu/migrations')
  return join(dirname(entry), '..', 'agent')
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? listFiles(join(dir, e.name), base)
      : [relative(base, join(dir, e.name)).split('\\').join('/')],
  )
}

/** Builds main, preload and renderer into `outDir`. */
export async function buildElectron(o: ElectronBuildOptions = {}): Promise<ElectronBuildResult> {
  const outDir = resolve(o.outDir ?? join(ELECTRON_DIR, 'dist'))
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(join(outDir, 'renderer'), { recursive: true })
  const minify = o.minify ?? false
  await Promise.all([
    build({
      ...common,
      minify,
      entryPoints: [join(SRC, 'main.ts')],
      outfile: join(outDir, 'main', 'main.js'),
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: [...EXTERNALS],
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: {
        js: "import { createRequire as __kefuRequire } from 'node:module'; const require = __kefuRequire(import.meta.url);",
      },
    }),
    build({
      ...common,
      minify,
      entryPoints: [join(SRC, 'preload.ts')],
      outfile: join(outDir, 'preload.cjs'),
      platform: 'node',
      format: 'cjs',
      target: 'es2022',
      external: ['electron'],
    }),
    build({
      ...common,
      minify,
      entryPoints: [join(SRC, 'renderer', 'app.ts')],
      outfile: join(outDir, 'renderer', 'app.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
    }),
  ])
  for (const f of ['index.html', 'styles.css'])
    copyFileSync(join(SRC, 'renderer', f), join(outDir, 'renderer', f))
  const sql = agentMigrationsDir()
  mkdirSync(join(outDir, 'agent'), { recursive: true })
  for (const f of readdirSync(sql).filter((n) => n.endsWith('.sql')))
    copyFileSync(join(sql, f), join(outDir, 'agent', f))
  return { outDir, files: listFiles(outDir).sort() }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--out')
  const r = await buildElectron({
    ...(i !== -1 && process.argv[i + 1] ? { outDir: process.argv[i + 1] } : {}),
    minify: process.argv.includes('--minify'),
  })
  process.stdout.write(
    `built ${r.files.length} files into ${r.outDir}\n${r.files.map((f) => `  ${f}\n`).join('')}`,
  )
}
