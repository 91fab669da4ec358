/**
 * V8 flags for a process that runs the agent, applied by `runAgent` before the replica's
 * PGlite is compiled (bench/agent-footprint measures their effect).
 *
 * V8 runs WebAssembly as Liftoff code first and recompiles the functions that get hot with
 * TurboFan, in background threads. PGlite's hottest functions are huge, and TurboFan needs
 * 20–50 MB of scratch memory for one of them; on Linux each thread's malloc arena keeps that
 * memory once it is freed. At the default budget Postgres' start and first queries send some
 * seventy functions there, several at a time: 45–70 MB of RSS, and seconds of CPU.
 * - a tiering budget a hundred times the default recompiles only what keeps running (a table
 *   scan's inner loop; OCR's, within its first few reads);
 * - one compilation task at a time keeps that scratch in one arena, not in several.
 * Together: 190–194 MB instead of 220–243 (bundled agent, 20,000 messages), ready sooner,
 * OCR no slower (faster at first). Either alone: 202–236 MB. `--liftoff-only` would save
 * 5 MB more but makes OCR 1.6× slower.
 */
import { setFlagsFromString } from 'node:v8'

/** Each flag is left alone when the process was started with it (node options win). */
export const AGENT_V8_FLAGS = [
  '--wasm-tiering-budget=200000000',
  '--wasm-num-compilation-tasks=1',
] as const

let applied = false

/** Sets {@link AGENT_V8_FLAGS} once per process; they apply to WebAssembly compiled afterwards. */
export function applyAgentV8Flags(execArgv: readonly string[] = process.execArgv): void {
  if (applied) return
  applied = true
  for (const flag of AGENT_V8_FLAGS) {
    const name = flag.slice(0, flag.indexOf('='))
    const given = (arg: string) => {
      const a = arg.replaceAll('_', '-') // V8 reads `--a_b` as `--a-b`
      return a === name || a.startsWith(`${name}=`)
    }
    if (!execArgv.some(given)) setFlagsFromString(flag)
  }
}
