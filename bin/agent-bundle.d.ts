// Types of agent-bundle.js (plain JavaScript: it runs before tsx is loaded).
export declare const AGENT_EXTERNALS: readonly string[]
export declare function bundleAgentEntry(o: {
  entry: string
  outDir: string
  name: string
  minify?: boolean
}): Promise<{ file: string; inputs: string[] }>
export interface AgentBundleManifest {
  entry: string
  file: string
  esbuild: string
  builtAt: string
  inputs: Record<string, string>
}
export declare function isFresh(manifest: AgentBundleManifest | null, esbuildVersion: string): boolean
export declare function agentBundle(o?: {
  cacheDir?: string
  entry?: string
}): Promise<{ file: string; built: boolean }>
export declare const fromRoot: (p: string) => string
