import { expect, test } from 'vitest'
import { ConfigError } from '@kefu/schema'
import { agentConfigFor, desktopHelp, loadDesktopConfig } from './config.ts'

test('reads the agent options from the environment, with desktop defaults', () => {
  const c = loadDesktopConfig({
    KEFU_AGENT_ID: 'a1',
    KEFU_AGENT_SECRET: 's',
    KEFU_CLOUD_URL: 'https://kefu.example.com',
  })
  expect(c).toMatchObject({
    agentId: 'a1',
    secret: 's',
    cloud: 'https://kefu.example.com',
    driver: 'screen',
    operator: 'desktop',
    takeOverMinutes: 0,
  })
  const a = agentConfigFor(c, '/u/agent')
  expect(a).toMatchObject({ agentId: 'a1', dataDir: '/u/agent', passphrase: undefined })
})

test('the data folder and passphrase are not desktop options; bad values are named', () => {
  expect(desktopHelp()).not.toContain('KEFU_AGENT_PASSPHRASE')
  expect(desktopHelp()).toContain('KEFU_OPERATOR')
  expect(() => loadDesktopConfig({ KEFU_TAKE_OVER_MINUTES: '-1' })).toThrow(ConfigError)
  expect(() => loadDesktopConfig({ KEFU_TAKE_OVER_MINUTES: '-1' })).toThrow(
    /KEFU_TAKE_OVER_MINUTES/,
  )
})
