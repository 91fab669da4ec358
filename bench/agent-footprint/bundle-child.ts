/**
 * Bundles footprint-child.ts the way the desktop build bundles the agent (esbuild, ESM, native
 * and wasm packages left to node_modules; electron/scripts/build.ts), so that the footprint can
 * also be measured without tsx compiling every module at load. The bundle goes to `.tmp/` in
 * the repository (external packages resolve from its node_modules), with the replica
 * migrations one level up, where the bundled `migrate()` looks for them.
 */
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')

/** Native addons, wasm and worker loaders stay external (as in the Electron build). */
const EXTERNALS = [
  '@electric-sql/pglite',
  'better-sqlite3',
  '@nut-tree-fork/nut-js',
  'tesseract.js',
]

/** Builds the child; returns the path of the bundled entry. */
export async function bundleChild(): Promise<string> {
  const outDir = join(ROOT, '.tmp', 'agent-footprint-bundle')
  rmSync(outDir, { recursive: true, force: true })
  const entry = join(outDir, 'main', 'footprint-child.mjs')
  await build({
    entryPoints: [join(HERE, 'footprint-child.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNALS,
    legalComments: 'none',
    logLevel: 'warning',
    charset: 'utf8',
    banner: {
      js: "import { createRequire as __kefuRequire } from 'node:module'; const require = __kefuRequire(import.meta.url);",
    },
  })
  const sql = join(
    dirname(createRequire(import.meta.url).resolve('@kefu/migrations')),
    '..',
    'agent',
  )
  mkdirSync(join(outDir, 'agent'), { recursive: true })
  for (const f of readdirSync(sql).filter((n) => n.endsWith('.sql')))
    copyFileSync(join(sql, f), join(outDir, 'agent', f))
  return entry
}
