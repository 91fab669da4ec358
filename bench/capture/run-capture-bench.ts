/**
 * Prints the capture bench figures as JSON: `npx tsx bench/capture/run-capture-bench.ts [images]`.
 * Needs Xvfb and Chromium (Debian: xvfb, chromium, tesseract-ocr-chi-sim, tesseract-ocr-eng, fonts-noto-cjk).
 */
import { runCaptureBench } from './capture-bench.ts'

const images = Number(process.argv[2] ?? '60')
const result = await runCaptureBench({ images })
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
process.exit(0)
