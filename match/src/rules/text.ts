/**
 * Text folding for rule matching: case- and width-insensitive, traditional → simplified, blind to
 * whitespace, and able to map every folded position back to the original string (so a hit can
 * be masked in place). Unlike `normalise`, it keeps punctuation and never changes a character
 * into a separator, so positions stay meaningful.
 */
import { toSimplified } from '../trad-simp.ts'

/** Folded text plus, for each folded UTF-16 unit, the original span it came from. */
export interface FoldedText {
  /** NFKC, lower-cased, simplified, whitespace and zero-width characters removed. */
  readonly text: string
  /** `start[i]`: index in the original string of the character that produced folded unit `i`. */
  readonly start: readonly number[]
  /** `end[i]`: end (exclusive) in the original string of that character. */
  readonly end: readonly number[]
}

// WeChat puts U+2005 after an @mention; OCR scatters spaces between CJK characters; zero-width
// characters are a common way to slip a word past a filter. None of them carry meaning here.
const IGNORABLE = /^[\s\u200b-\u200d\u2060\ufeff]$/u

function foldChar(ch: string): string {
  const c = ch.codePointAt(0) ?? 0
  // Fast paths: ASCII and the CJK Unified Ideographs block are NFKC-stable. Simplifying lets one
  // keyword list catch Hong Kong and Taiwan customers ("騙子", "轉人工") too.
  if (c < 0x80) return ch.toLowerCase()
  if (c >= 0x4e00 && c <= 0x9fff) return toSimplified(ch)
  return toSimplified(ch.normalize('NFKC').toLowerCase())
}

/** Folds `input` for matching and keeps the position map. */
export function foldWithMap(input: string): FoldedText {
  let text = ''
  const start: number[] = []
  const end: number[] = []
  let i = 0
  for (const ch of input) {
    const j = i
    i += ch.length
    if (IGNORABLE.test(ch)) continue
    const f = foldChar(ch)
    text += f
    for (let k = 0; k < f.length; k++) {
      start.push(j)
      end.push(i)
    }
  }
  return { text, start, end }
}

/**
 * Folds text for matching: NFKC (full-width → half-width), lower-case, common traditional
 * characters simplified, whitespace and zero-width characters removed. Keywords and the text
 * they are matched against must both go through this.
 */
export function foldRuleText(input: string): string {
  return foldWithMap(input).text
}

const PUNCT = /[\p{P}\p{S}]/gu

/**
 * Folds and also drops punctuation and symbols, for whole-message comparisons where "价格？" and
 * "价格" mean the same thing.
 */
export function foldBare(input: string): string {
  return foldRuleText(input).replace(PUNCT, '')
}
