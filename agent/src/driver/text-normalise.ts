/**
 * Cleaning OCR output of WeChat bubbles, and comparing texts tolerantly.
 *
 * Tesseract reads Chinese punctuation as either width (`？` or `?`), puts stray spaces between
 * CJK characters and returns a wrapped bubble as several lines. `normaliseOcrText` gives the
 * text a customer most likely typed with a Chinese IME: no spaces between CJK characters,
 * full-width punctuation next to CJK, half-width letters and digits. `canonicalText` folds
 * both widths and drops whitespace so two readings of the same bubble compare equal.
 */

const HAN = /\p{Script=Han}/u
/** Punctuation a Chinese IME produces; counts as "wide" like Han characters. */
const CJK_PUNCT = '，。！？：；、“”‘’（）【】《》…—～·「」『』〔〕'
/** Half-width punctuation that becomes full-width next to CJK. */
const TO_WIDE: Readonly<Record<string, string>> = {
  ',': '，',
  '!': '！',
  '?': '？',
  ':': '：',
  ';': '；',
  '(': '（',
  ')': '）',
}
/** Chinese punctuation NFKC leaves alone, folded for comparison. */
const FOLD: Readonly<Record<string, string>> = {
  '。': '.',
  '、': ',',
  '“': '"',
  '”': '"',
  '‘': "'",
  '’': "'",
  '「': '[',
  '」': ']',
  '『': '[',
  '』': ']',
  '【': '[',
  '】': ']',
  '〔': '[',
  '〕': ']',
  '《': '<',
  '》': '>',
  '…': '...',
  '—': '-',
  '～': '~',
  '·': '.',
}

/** Whether `ch` is a Han character or Chinese punctuation (rendered full width). */
export function isWide(ch: string | undefined): boolean {
  return ch !== undefined && (HAN.test(ch) || CJK_PUNCT.includes(ch))
}

function toHalfWidth(s: string): string {
  return s.replace(/[\uFF01-\uFF5E]/g, (c) => {
    const half = String.fromCharCode(c.charCodeAt(0) - 0xfee0)
    // Keep the IME's full-width punctuation; letters and digits go half width.
    return /[A-Za-z0-9]/.test(half) ? half : c
  })
}

// chi_sim reads the yen sign before an amount as '#', 'Y' or 'y'; an amount with two decimals
// is a price, so the sign is put back there (never before plain numbers or codes).
const YEN = /(^|[\s\p{Script=Han}，：:])[#Yy￥]\s?(?=\d{1,7}\.\d{2}(?![\d.]))/gu

function normaliseLine(line: string): string {
  let s = toHalfWidth(line.replace(/\u3000/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
  s = s.replace(YEN, '$1¥')
  const chars = [...s]
  const out: string[] = []
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string
    if (c === ' ') {
      const prev = out[out.length - 1]
      const next = chars[i + 1]
      const punct = (ch: string | undefined) => ch !== undefined && ch in TO_WIDE
      // A space touching a wide character is OCR noise unless Latin or digits are on the other side.
      if ((isWide(prev) && (isWide(next) || punct(next))) || (isWide(next) && punct(prev))) continue
      out.push(c)
      continue
    }
    const wide = TO_WIDE[c]
    const prevCh = out[out.length - 1]
    const nextCh = chars[i + 1] === ' ' ? chars[i + 2] : chars[i + 1]
    if (wide !== undefined && (HAN.test(prevCh ?? '') || HAN.test(nextCh ?? ''))) out.push(wide)
    else if (c === '.' && HAN.test(prevCh ?? '') && !/[A-Za-z0-9]/.test(nextCh ?? ''))
      out.push('。')
    else out.push(c)
  }
  s = out.join('')
  // Full-width punctuation carries its own spacing.
  return s
    .replace(/\s+(?=[，。！？：；、）】》])/gu, '')
    .replace(/([，。！？：；、（【《])\s+/gu, '$1')
}

/** Cleans OCR text: see the module comment. Lines are kept; empty lines are dropped. */
export function normaliseOcrText(raw: string): string {
  return raw
    .split(/\r?\n/)
    .map(normaliseLine)
    .filter((l) => l !== '')
    .join('\n')
}

/** One OCR line of a bubble; `hardBreak` says the line ended where the sender pressed Enter. */
export interface BubbleLine {
  text: string
  hardBreak: boolean
}

/**
 * Joins a bubble's lines into one message. A soft wrap joins CJK directly and Latin words with
 * a space (the renderer broke the line at that space); a hard break stays a newline.
 */
export function joinLines(lines: readonly BubbleLine[]): string {
  let out = ''
  lines.forEach((line, i) => {
    const text = normaliseOcrText(line.text)
    if (text === '') return
    if (out !== '') {
      const prev = lines[i - 1]
      const softJoin = !isWide([...out].at(-1)) && !isWide([...text][0])
      out += prev?.hardBreak ? '\n' : softJoin ? ' ' : ''
    }
    out += text
  })
  return out
}

/** The comparison form: NFKC, Chinese punctuation folded to ASCII, no whitespace, lower case. */
export function canonicalText(s: string): string {
  const folded = [...s.normalize('NFKC')].map((c) => FOLD[c] ?? c).join('')
  return folded.replace(/\s+/g, '').toLowerCase()
}

/** Levenshtein distance between `a` and `b`, counted in code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a]
  const y = [...b]
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const cur = [i]
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      )
    }
    prev = cur
  }
  return prev[y.length] as number
}

/** 1 for the same text (after {@link canonicalText}), falling towards 0 as edits pile up. */
export function similarity(a: string, b: string): number {
  const ca = canonicalText(a)
  const cb = canonicalText(b)
  const len = Math.max([...ca].length, [...cb].length)
  return len === 0 ? 1 : 1 - editDistance(ca, cb) / len
}

/** A chat title as read from the title bar: groups show their member count, `名称(23)`. */
export interface ChatTitle {
  title: string
  isGroup: boolean
  members: number | null
}

/** Splits a title-bar reading into the title and the group member count. */
export function parseChatTitle(raw: string): ChatTitle {
  const text = normaliseOcrText(raw).replace(/\n/g, ' ')
  const m = /^(.*?)\s*[(（]\s*(\d{1,5})\s*[)）]$/u.exec(text)
  if (m && m[1] !== '') return { title: m[1] as string, isGroup: true, members: Number(m[2]) }
  return { title: text, isGroup: false, members: null }
}
