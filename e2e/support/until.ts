/**
 * Polls `cond` until it holds, or fails after `ms` naming `what` (and, with `diag`, what it
 * shows at that moment).
 */
export async function until(
  cond: () => Promise<boolean> | boolean,
  ms = 15_000,
  what = 'condition',
  opts: { diag?: () => Promise<unknown> | unknown; everyMs?: number } = {},
): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 25))
  }
  const shown = opts.diag ? `: ${JSON.stringify(await opts.diag())}` : ''
  throw new Error(`timed out waiting for ${what}${shown}`)
}
