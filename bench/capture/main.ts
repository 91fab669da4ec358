/**
 * `npm run bench -- capture [--images N] [--json]`: screen capture + OCR of look-alike WeChat
 * screens with known text → `{images, char_accuracy, p50_ms, p95_ms}`. Needs Xvfb, Chromium,
 * tesseract-ocr-chi-sim, tesseract-ocr-eng and fonts-noto-cjk (what .ci/run installs).
 */
import { runCaptureBench } from './capture-bench.ts'

export async function main(argv: string[]): Promise<number> {
  const i = argv.indexOf('--images')
  const images = i >= 0 ? Number(argv[i + 1]) : 60
  if (!Number.isInteger(images) || images < 1) {
    console.error('--images must be a positive integer')
    return 2
  }
  const r = await runCaptureBench({ images })
  console.log(argv.includes('--json') ? JSON.stringify(r) : JSON.stringify(r, null, 2))
  return 0
}
