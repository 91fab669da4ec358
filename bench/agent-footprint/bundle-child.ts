/**
 * Bundles footprint-child.ts exactly as `kefu agent` is bundled (bin/agent-bundle.js: the same
 * esbuild options, externals and migrations layout), so the bundled runs measure the agent as
 * `kefu agent` runs it. The bundle goes to `.tmp/` in the repository (external packages resolve
 * from its node_modules).
 */
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleAgentEntry } from '../../bin/agent-bundle.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')

/** Builds the child; returns the path of the bundled entry. */
export async function bundleChild(): Promise<string> {
  const outDir = join(ROOT, '.tmp', 'agent-footprint-bundle')
  rmSync(outDir, { recursive: true, force: true })
  const { file } = await bundleAgentEntry({
    entry: join(HERE, 'footprint-child.ts'),
    outDir,
    name: 'footprint-child',
  })
  return file
}
