/**
 * The desktop agent's options: the headless agent's (`@kefu/agent` `agentConfigSpec`) minus
 * what the desktop decides itself — the data folder is `<userData>/agent` and the key comes from
 * the OS keystore, not a passphrase — plus the desktop's own. Read from the environment only:
 * Electron and Chromium put their own switches in argv.
 */
import { agentConfigSpec, type AgentConfig } from '@kefu/agent'
import { helpText, parseConfig, type ConfigOf } from '@kefu/schema'

const { dataDir: _dataDir, passphrase: _passphrase, ...shared } = agentConfigSpec

export const desktopConfigSpec = {
  ...shared,
  operator: {
    kind: 'string',
    env: 'KEFU_OPERATOR',
    default: 'desktop',
    help: 'recorded as the handler of chats taken over in this window (shown in the console)',
  },
  takeOverMinutes: {
    kind: 'int',
    env: 'KEFU_TAKE_OVER_MINUTES',
    default: 0,
    min: 0,
    help: 'how long 接管 pauses the bot in a chat; 0 = until 释放',
  },
  tessdata: {
    kind: 'string',
    env: 'KEFU_TESSDATA',
    help: 'folder with chi_sim.traineddata for the screen driver (default: the agent’s)',
  },
} as const

export type DesktopConfig = ConfigOf<typeof desktopConfigSpec>

/** Reads the desktop config from the environment. */
export function loadDesktopConfig(
  env: Readonly<Record<string, string | undefined>>,
): DesktopConfig {
  return parseConfig(desktopConfigSpec, { env })
}

export const desktopHelp = (): string =>
  helpText(
    desktopConfigSpec,
    'Environment of the kefu desktop agent (Electron): the same as `kefu agent`, less the data folder and passphrase.',
  )

/** The headless agent's config for a desktop data folder (no passphrase: the key is given). */
export function agentConfigFor(c: DesktopConfig, dataDir: string): AgentConfig {
  return { ...c, dataDir, passphrase: undefined }
}
