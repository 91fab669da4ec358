/**
 * Screen pixels and the few image operations the screen driver needs: colour tests, hashing,
 * greyscale, level stretch, upscaling and PGM encoding for the OCR engine. A `Bitmap` knows
 * where it sits on the screen, so every rectangle here is in screen coordinates.
 */
import { createHash } from 'node:crypto'

/** A rectangle in screen pixels. */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** An sRGB colour. */
export type Rgb = readonly [r: number, g: number, b: number]

/** Captured screen pixels (4 bytes a pixel as grabbed from X11/Windows, or 3). */
export interface Bitmap {
  /** Screen position of the top-left pixel. */
  left: number
  top: number
  width: number
  height: number
  data: Uint8Array
  channels: number
  byteWidth: number
  order: 'bgr' | 'rgb'
}

/** 8-bit greyscale pixels, row-major. */
export interface Grey {
  width: number
  height: number
  data: Uint8Array
}

/** `rect` clipped to the bitmap (possibly empty). */
export function clip(b: Bitmap, rect: Rect): Rect {
  const x = Math.max(rect.x, b.left)
  const y = Math.max(rect.y, b.top)
  const right = Math.min(rect.x + rect.width, b.left + b.width)
  const bottom = Math.min(rect.y + rect.height, b.top + b.height)
  return { x, y, width: Math.max(0, right - x), height: Math.max(0, bottom - y) }
}

/** The colour at screen point (x, y); the point must lie inside the bitmap. */
export function rgbAt(b: Bitmap, x: number, y: number): Rgb {
  const i = (y - b.top) * b.byteWidth + (x - b.left) * b.channels
  const d = b.data
  return b.order === 'bgr'
    ? [d[i + 2] as number, d[i + 1] as number, d[i] as number]
    : [d[i] as number, d[i + 1] as number, d[i + 2] as number]
}

/** Whether the pixel at (x, y) is within `tol` of `c` on every channel. */
export function isNear(b: Bitmap, x: number, y: number, c: Rgb, tol: number): boolean {
  const [r, g, bl] = rgbAt(b, x, y)
  return Math.abs(r - c[0]) <= tol && Math.abs(g - c[1]) <= tol && Math.abs(bl - c[2]) <= tol
}

/** Number of pixels in `rect` within `tol` of `c`. */
export function countNear(b: Bitmap, rect: Rect, c: Rgb, tol: number): number {
  const r = clip(b, rect)
  let n = 0
  for (let y = r.y; y < r.y + r.height; y++)
    for (let x = r.x; x < r.x + r.width; x++) if (isNear(b, x, y, c, tol)) n++
  return n
}

/**
 * Number of "ink" pixels in `rect`: at least `contrast` darker than its lightest pixel (the
 * background), so grey names on a light pane and black text on a selected row both count.
 */
export function countInk(b: Bitmap, rect: Rect, contrast = 50): number {
  const g = toGrey(b, rect)
  let bg = 0
  for (const v of g.data) if (v > bg) bg = v
  let n = 0
  for (const v of g.data) if (v < bg - contrast) n++
  return n
}

/** A fingerprint of the pixels in `rect` (equal pixels, equal hash). */
export function hashRect(b: Bitmap, rect: Rect): string {
  const r = clip(b, rect)
  const h = createHash('sha1')
  h.update(`${r.width}x${r.height}:`)
  for (let y = r.y; y < r.y + r.height; y++) {
    const start = (y - b.top) * b.byteWidth + (r.x - b.left) * b.channels
    h.update(b.data.subarray(start, start + r.width * b.channels))
  }
  return h.digest('base64url').slice(0, 22)
}

/** The luminance of `rect` as greyscale. */
export function toGrey(b: Bitmap, rect: Rect): Grey {
  const r = clip(b, rect)
  const out = new Uint8Array(r.width * r.height)
  for (let y = 0; y < r.height; y++)
    for (let x = 0; x < r.width; x++) {
      const [red, g, bl] = rgbAt(b, r.x + x, r.y + y)
      out[y * r.width + x] = Math.round(0.299 * red + 0.587 * g + 0.114 * bl)
    }
  return { width: r.width, height: r.height, data: out }
}

/**
 * Stretches levels so the lightest pixel (the bubble background) becomes white and the darkest
 * black: a green bubble's grey background otherwise costs the OCR contrast.
 */
export function stretchLevels(g: Grey): Grey {
  let lo = 255
  let hi = 0
  for (const v of g.data) {
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  const span = Math.max(1, hi - lo)
  const data = g.data.map((v) => Math.round(((v - lo) * 255) / span))
  return { ...g, data }
}

/** Inverts light text on a dark background (the unread badge) into dark on light. */
export function invert(g: Grey): Grey {
  return { ...g, data: g.data.map((v) => 255 - v) }
}

/** Bilinear upscaling by an integer `factor`. */
export function upscale(g: Grey, factor: number): Grey {
  if (factor === 1) return g
  const w = g.width * factor
  const h = g.height * factor
  const out = new Uint8Array(w * h)
  const at = (x: number, y: number) => g.data[y * g.width + x] as number
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max((y + 0.5) / factor - 0.5, 0), g.height - 1)
    const y0 = Math.floor(sy)
    const y1 = Math.min(y0 + 1, g.height - 1)
    const fy = sy - y0
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max((x + 0.5) / factor - 0.5, 0), g.width - 1)
      const x0 = Math.floor(sx)
      const x1 = Math.min(x0 + 1, g.width - 1)
      const fx = sx - x0
      const top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx
      const bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx
      out[y * w + x] = Math.round(top * (1 - fy) + bottom * fy)
    }
  }
  return { width: w, height: h, data: out }
}

/** Adds a white border: Tesseract reads glyphs touching the edge poorly. */
export function pad(g: Grey, px: number, value = 255): Grey {
  const w = g.width + 2 * px
  const h = g.height + 2 * px
  const out = new Uint8Array(w * h).fill(value)
  for (let y = 0; y < g.height; y++)
    out.set(g.data.subarray(y * g.width, (y + 1) * g.width), (y + px) * w + px)
  return { width: w, height: h, data: out }
}

/** Binary PGM (P5): an image format Leptonica reads without any codec. */
export function encodePgm(g: Grey): Uint8Array {
  const header = new TextEncoder().encode(`P5\n${g.width} ${g.height}\n255\n`)
  const out = new Uint8Array(header.length + g.data.length)
  out.set(header)
  out.set(g.data, header.length)
  return out
}
