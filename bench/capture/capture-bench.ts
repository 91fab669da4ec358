/**
 * Capture bench: how fast and how accurately the screen driver reads new WeChat messages.
 *
 * Starts Xvfb, the WeChat look-alike in a real Chromium window and the screen driver, then for
 * each of `images` known customer messages (corpus.ts) pushes it through the look-alike's
 * control API and polls the driver until it is read. Messages alternate between the open chat
 * (no badge: the changed-region path) and two other chats (the unread-badge path: badge
 * count, click, settle, read).
 *
 * - char_accuracy = 1 − Σ edit distance / Σ length, on the comparison form of both texts;
 * - p50_ms / p95_ms: push → returned by `poll()` (render, detection, OCR all included).
 */
import { pino, type Logger } from 'pino'
import type { WeChatDriver } from '../../agent/src/driver/driver.ts'
import { canonicalText, editDistance } from '../../agent/src/driver/text-normalise.ts'
import { startLookalike } from '../../e2e/lookalike/lookalike-server.ts'
import { openAppWindow, startXvfb } from '../../e2e/lookalike/x-desktop.ts'
import { captureCorpus } from './corpus.ts'

/** Options for {@link runCaptureBench}. */
export interface CaptureBenchOptions {
  /** Number of messages (screens) to read; at least 50 for the reported figures. */
  images: number
  seed?: number
  logger?: Logger
  /** Environment Chromium starts with; default this process's. */
  env?: Record<string, string | undefined>
  /** Give up on one message after this long, ms. */
  timeoutMs?: number
}

/** Bench figures (snake_case: printed as JSON next to the other benches). */
export interface CaptureBenchResult {
  images: number
  char_accuracy: number
  p50_ms: number
  p95_ms: number
  /** Messages never read, or read more than once. */
  missed: number
  duplicated: number
  /** The worst readings, for tuning. */
  worst: Array<{ expected: string; got: string; distance: number }>
}

/** The `q`-quantile of `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  ] as number
}

const CHATS = [
  { chat: 'zhang', title: '张三' },
  { chat: 'lucy', title: 'Lucy王' },
  { chat: 'li', title: '李女士' },
] as const

/** Runs the bench on a private X display; see the module comment. */
export async function runCaptureBench(opts: CaptureBenchOptions): Promise<CaptureBenchResult> {
  const logger = opts.logger ?? pino({ level: 'silent' })
  const env = opts.env ?? process.env
  const timeoutMs = opts.timeoutMs ?? 5000
  const texts = captureCorpus(opts.images, opts.seed)
  // Stopped by its watchdog once this process exits (nut-js stays connected until then).
  const xvfb = await startXvfb({ width: 1280, height: 800 })
  // nut-js reads DISPLAY when it loads (in the driver's start(), below).
  process.env.DISPLAY = xvfb.display
  const lookalike = await startLookalike()
  const appWindow = await openAppWindow(
    xvfb.display,
    lookalike.url,
    { x: 40, y: 30, width: 1040, height: 720 },
    env,
  )
  let driver: WeChatDriver | null = null
  try {
    const { createScreenDriver } = await import('../../agent/src/driver/screen-driver.ts')
    driver = createScreenDriver({ logger })
    await driver.start()
    // Make every chat known, then open the first one.
    for (const c of CHATS) await lookalike.push({ ...c, text: '你好' })
    await lookalike.waitRendered(await lookalike.human(CHATS[0].chat, '您好，请问有什么可以帮您？'))
    await driver.poll()

    const latencies: number[] = []
    const worst: CaptureBenchResult['worst'] = []
    let distance = 0
    let length = 0
    let missed = 0
    let duplicated = 0
    for (const [i, text] of texts.entries()) {
      // Every other message goes to the open chat; the rest light up a badge elsewhere.
      const target =
        i % 2 === 0
          ? ((await lookalike.state()).openChat ?? CHATS[0].chat)
          : CHATS[1 + ((i >> 1) % 2)].chat
      const t0 = performance.now()
      await lookalike.push({ chat: target, text })
      let got: string[] = []
      while (got.length === 0 && performance.now() - t0 < timeoutMs) {
        got = (await driver.poll()).filter((m) => m.side === 'customer').map((m) => m.text)
      }
      if (got.length === 0) {
        missed++
        distance += [...canonicalText(text)].length
        length += [...canonicalText(text)].length
        continue
      }
      latencies.push(performance.now() - t0)
      if (got.length > 1) duplicated += got.length - 1
      const expected = canonicalText(text)
      const d = editDistance(expected, canonicalText(got[0] as string))
      distance += d
      length += [...expected].length
      if (d > 0) worst.push({ expected: text, got: got[0] as string, distance: d })
    }
    worst.sort((a, b) => b.distance - a.distance)
    return {
      images: texts.length,
      char_accuracy: length === 0 ? 1 : Number((1 - distance / length).toFixed(4)),
      p50_ms: Math.round(quantile(latencies, 0.5)),
      p95_ms: Math.round(quantile(latencies, 0.95)),
      missed,
      duplicated,
      worst: worst.slice(0, 10),
    }
  } finally {
    await driver?.stop()
    await appWindow.close()
    await lookalike.close()
  }
}
