/**
 * OCR for the screen driver: tesseract.js workers kept warm, Chinese (`chi_sim`) and English
 * (badge digits) traineddata loaded from a local folder (never a CDN), images prepared the way
 * Tesseract reads screen text best: greyscale, levels stretched, 2× bilinear upscale, a white
 * margin. (Tried on the capture bench: 3× upscale, binarising, gamma, nearest-neighbour
 * scaling, per-line PSM 7/13 — none read better than this.)
 */
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { DriverError } from './driver.ts'
import type { PSM, Scheduler, Worker } from 'tesseract.js'
import {
  encodePgm,
  invert,
  pad,
  stretchLevels,
  toGrey,
  upscale,
  type Bitmap,
  type Rect,
} from './bitmap.ts'

/** Debian's tesseract-ocr-chi-sim / -eng install their traineddata here. */
export const DEFAULT_LANG_PATH = '/usr/share/tesseract-ocr/5/tessdata'

/** One line of recognised text with its box in screen coordinates. */
export interface OcrLine {
  text: string
  rect: Rect
  confidence: number
}

/** What Tesseract read in a region. */
export interface OcrResult {
  text: string
  lines: OcrLine[]
  confidence: number
}

/** `text` for bubbles and titles; `digits` for unread badges (light on red). */
export type OcrKind = 'text' | 'digits'

/** Reads text out of screen regions. */
export interface OcrEngine {
  start(): Promise<void>
  read(b: Bitmap, rect: Rect, kind?: OcrKind): Promise<OcrResult>
  stop(): Promise<void>
}

/** Options for {@link createTesseractOcr}. */
export interface TesseractOcrOptions {
  logger: Logger
  /** Folder with `chi_sim.traineddata` and `eng.traineddata` (uncompressed). */
  langPath?: string
  /**
   * Languages for bubbles and titles. `chi_sim` alone (it knows Latin letters and digits) read
   * the capture bench best: `chi_sim+eng` sometimes reads a CJK phrase as English words.
   */
  langs?: string
  /** Text workers; one per core is the sweet spot. */
  workers?: number
  /** Upscale factor before recognition. */
  scale?: number
  /** Tesseract page segmentation mode for text; default one uniform block (6). */
  psm?: PSM
  /** Resolution Tesseract assumes for the upscaled image. */
  dpi?: number
}

const MARGIN = 8

/** Greyscale, stretched, upscaled and padded pixels of `rect`, as PGM. */
export function prepareForOcr(b: Bitmap, rect: Rect, scale: number, inverted = false): Uint8Array {
  let g = stretchLevels(toGrey(b, rect))
  if (inverted) g = invert(g)
  return encodePgm(pad(upscale(g, scale), MARGIN))
}

/** A Tesseract-backed {@link OcrEngine}. */
export function createTesseractOcr(opts: TesseractOcrOptions): OcrEngine {
  const log = opts.logger.child({ component: 'ocr' })
  const scale = opts.scale ?? 2
  const langPath = opts.langPath ?? DEFAULT_LANG_PATH
  let scheduler: Scheduler | null = null
  let digits: Worker | null = null

  return {
    async start() {
      if (scheduler) return
      const t0 = Date.now()
      const tesseract = await import('tesseract.js')
      const { createWorker, createScheduler, OEM, PSM: modes } = tesseract.default ?? tesseract
      const langs = opts.langs ?? 'chi_sim'
      // Traineddata comes from the local folder only: no cache files, no CDN.
      const workerOpts = {
        langPath,
        gzip: false,
        cacheMethod: 'none',
        // Without a handler tesseract.js rethrows a failed job outside its promise, which
        // would crash the agent; the job's promise still rejects and is handled by the caller.
        errorHandler: (err: unknown) => log.debug({ err: String(err) }, 'ocr job failed'),
      }
      // tesseract.js never settles createWorker when a traineddata file is missing: check first.
      for (const l of new Set([...langs.split('+'), 'eng'])) {
        const file = join(langPath, `${l}.traineddata`)
        await access(file).catch((cause: unknown) => {
          throw new DriverError('ocr_data', `no ${l} traineddata at ${file}`, { cause })
        })
      }
      const load = (l: string) => createWorker(l, OEM.LSTM_ONLY, workerOpts)
      const textWorkers = await Promise.all(
        Array.from({ length: opts.workers ?? 2 }, () => load(langs)),
      )
      const s = createScheduler()
      for (const w of textWorkers) {
        // One block of text per image; the DPI silences Tesseract's "resolution 0" guess.
        await w.setParameters({
          tessedit_pageseg_mode: opts.psm ?? modes.SINGLE_BLOCK,
          user_defined_dpi: String(opts.dpi ?? 144),
        })
        s.addWorker(w)
      }
      const d = await load('eng')
      await d.setParameters({
        tessedit_pageseg_mode: modes.SINGLE_LINE,
        tessedit_char_whitelist: '0123456789+',
        user_defined_dpi: '144',
      })
      scheduler = s
      digits = d
      log.info({ workers: textWorkers.length, ms: Date.now() - t0 }, 'ocr ready')
    },

    async read(b, rect, kind = 'text') {
      if (!scheduler || !digits) throw new Error('ocr not started')
      const factor = kind === 'digits' ? 4 : scale
      const image = Buffer.from(prepareForOcr(b, rect, factor, kind === 'digits'))
      const res =
        kind === 'digits'
          ? await digits.recognize(image)
          : await scheduler.addJob('recognize', image, {}, { blocks: true, text: true })
      const lines: OcrLine[] = []
      for (const block of res.data.blocks ?? [])
        for (const para of block.paragraphs)
          for (const line of para.lines) {
            const { x0, y0, x1, y1 } = line.bbox
            lines.push({
              text: line.text.replace(/\n$/, ''),
              confidence: line.confidence,
              rect: {
                x: rect.x + Math.floor((x0 - MARGIN) / factor),
                y: rect.y + Math.floor((y0 - MARGIN) / factor),
                width: Math.ceil((x1 - x0) / factor),
                height: Math.ceil((y1 - y0) / factor),
              },
            })
          }
      log.debug({ kind, chars: res.data.text.length, lines: lines.length }, 'ocr read')
      return { text: res.data.text, lines, confidence: res.data.confidence }
    },

    async stop() {
      const s = scheduler
      const d = digits
      scheduler = null
      digits = null
      await Promise.all([s?.terminate(), d?.terminate()])
    },
  }
}
