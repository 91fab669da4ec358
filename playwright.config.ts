/**
 * For people who run Playwright's own runner (`npx playwright test`, with `@playwright/test`
 * installed): Playwright specs (`*.spec.ts`) in `e2e/`, in Debian's Chromium. The CI command is
 * vitest (`npm run e2e`), whose `*.e2e.test.ts` files drive the same Chromium with
 * playwright-core. A plain object, so type-checking the repo does not need `@playwright/test`.
 */
import type { LaunchOptions } from 'playwright-core'

/** Where Debian installs Chromium (`apt-get install chromium`); no browser download needed. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

const launchOptions: LaunchOptions = {
  executablePath: CHROMIUM_PATH,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
}

export default {
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    headless: true,
    locale: 'zh-CN',
    viewport: { width: 1200, height: 780 },
    launchOptions,
    trace: 'retain-on-failure',
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium', launchOptions } }],
}
