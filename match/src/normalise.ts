/**
 * Text normalisation for matching. Customers type the same question many ways: full-width
 * letters and digits from a Chinese IME, Chinese or ASCII punctuation, emoji, WeChat's
 * bracketed stickers ("[捂脸]"), traditional characters. Matching sees one canonical form:
 *
 *   NFKC → lower case → traditional → simplified → stickers, emoji and punctuation → space
 *   → single spaces, trimmed
 *
 * `normalise(normalise(x)) === normalise(x)` for every string (a property test holds it).
 */
import { toSimplified } from './trad-simp.ts'

// WeChat renders its built-in stickers as a short bracketed name when text is copied out.
const STICKER = /\[[\p{Script=Han}A-Za-z]{1,6}\]/gu
// Everything that is neither a letter, a digit nor a combining mark separates tokens.
// Emoji are symbols (\p{S}) or pictographs, so they go too.
const SEPARATOR = /[^\p{L}\p{N}\p{M}]+/gu
// Marks left without a base letter (e.g. a lone variation selector) carry no meaning.
const STRAY_MARK = /(^|\s)\p{M}+/gu

/** Options for {@link normalise}. */
export interface NormaliseOptions {
  /** Convert common traditional characters to simplified; default true. */
  readonly simplify?: boolean
}

/** The canonical matching form of `text` (see the module comment for the steps). */
export function normalise(text: string, opts: NormaliseOptions = {}): string {
  let s = text.normalize('NFKC').toLowerCase()
  if (opts.simplify !== false) s = toSimplified(s)
  s = s.replace(STICKER, ' ').replace(SEPARATOR, ' ').replace(STRAY_MARK, '$1')
  // Lower-casing and NFKC can each produce text the other would change again (e.g. 'ẞ').
  s = s.normalize('NFKC').toLowerCase()
  return s.replace(SEPARATOR, ' ').trim()
}

/** Whether `ch` (one code point) is a Han ideograph. */
export function isHan(ch: string): boolean {
  return HAN.test(ch)
}

const HAN = /^\p{Script=Han}$/u
