/**
 * Declarative configuration: one spec per program lists every option once, with its flag,
 * environment variable, type, default and help. `parseConfig` turns argv + env into a typed
 * object and `helpText` prints the same spec, so the two can never disagree.
 */

type Kind = 'string' | 'int' | 'number' | 'boolean' | 'list'

interface OptionBase<K extends Kind> {
  kind: K
  help: string
  /** `--flag` name without dashes; omit for env-only options (secrets). */
  flag?: string
  env?: string
  /** Shown in help instead of the value (for secrets). */
  secret?: boolean
}
export type OptionSpec =
  | (OptionBase<'string'> & { default?: string })
  | (OptionBase<'int'> & { default?: number; min?: number; max?: number })
  | (OptionBase<'number'> & { default?: number; min?: number; max?: number })
  | (OptionBase<'boolean'> & { default?: boolean })
  | (OptionBase<'list'> & { default?: string[] })

export type ConfigSpec = Record<string, OptionSpec>

type ValueOf<O extends OptionSpec> = O['kind'] extends 'string'
  ? string
  : O['kind'] extends 'int' | 'number'
    ? number
    : O['kind'] extends 'boolean'
      ? boolean
      : string[]

/** The typed config a spec yields: options with defaults are always present. */
export type ConfigOf<S extends ConfigSpec> = {
  [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined
}

export class ConfigError extends Error {
  readonly option: string
  constructor(option: string, message: string) {
    super(`${option}: ${message}`)
    this.name = 'ConfigError'
    this.option = option
  }
}

function convert(name: string, o: OptionSpec, raw: string): unknown {
  switch (o.kind) {
    case 'string':
      return raw
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    case 'boolean':
      if (['1', 'true', 'yes', 'on', ''].includes(raw.toLowerCase())) return true
      if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false
      throw new ConfigError(name, `expected true or false, got "${raw}"`)
    case 'int':
    case 'number': {
      const n = Number(raw)
      if (!Number.isFinite(n) || (o.kind === 'int' && !Number.isInteger(n)))
        throw new ConfigError(name, `expected ${o.kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`)
      if (o.min !== undefined && n < o.min) throw new ConfigError(name, `must be ≥ ${o.min}`)
      if (o.max !== undefined && n > o.max) throw new ConfigError(name, `must be ≤ ${o.max}`)
      return n
    }
  }
}

/**
 * Reads options from `argv` (`--flag value`, `--flag=value`, bare `--flag` for booleans), then
 * the environment, then defaults. Unknown flags are an error so typos never pass silently.
 */
export function parseConfig<S extends ConfigSpec>(
  spec: S,
  input: { argv?: readonly string[]; env?: Readonly<Record<string, string | undefined>> },
): ConfigOf<S> {
  const argv = input.argv ?? []
  const env = input.env ?? {}
  const fromArgs = new Map<string, string>()
  const byFlag = new Map(
    Object.entries(spec)
      .filter(([, o]) => o.flag)
      .map(([k, o]) => [o.flag!, k] as const),
  )
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) throw new ConfigError(a, 'unexpected argument')
    const eq = a.indexOf('=')
    const flag = a.slice(2, eq === -1 ? undefined : eq)
    const key = byFlag.get(flag)
    if (!key) throw new ConfigError(`--${flag}`, 'unknown option (see --help)')
    const o = spec[key]!
    let value: string
    if (eq !== -1) value = a.slice(eq + 1)
    else if (o.kind === 'boolean' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')))
      value = 'true'
    else {
      const next = argv[++i]
      if (next === undefined) throw new ConfigError(`--${flag}`, 'needs a value')
      value = next
    }
    fromArgs.set(key, value)
  }
  const out: Record<string, unknown> = {}
  for (const [key, o] of Object.entries(spec)) {
    const raw = fromArgs.get(key) ?? (o.env ? env[o.env] : undefined)
    const label = fromArgs.has(key) ? `--${o.flag}` : (o.env ?? key)
    out[key] = raw !== undefined && raw !== '' ? convert(label, o, raw) : o.default
  }
  return out as ConfigOf<S>
}

/** The `--help` text of a spec. */
export function helpText(spec: ConfigSpec, usage: string): string {
  const lines = [usage, '', 'Options:']
  for (const o of Object.values(spec)) {
    const name = o.flag ? `--${o.flag}${o.kind === 'boolean' ? '' : ' <' + o.kind + '>'}` : '(env only)'
    const extra = [
      o.env ? `env ${o.env}` : '',
      o.default !== undefined && !o.secret ? `default ${JSON.stringify(o.default)}` : '',
    ]
      .filter(Boolean)
      .join(', ')
    lines.push(`  ${name.padEnd(26)} ${o.help}${extra ? ` (${extra})` : ''}`)
  }
  return lines.join('\n')
}
