/**
 * Chinese-aware tokens for lexical matching. A normalised text yields:
 *
 * - words: dictionary words of two or more characters from `Intl.Segmenter('zh', word)`;
 * - bigrams: every pair of adjacent Han characters, so matching survives the segmenter's
 *   mistakes (退|货运|费) and customers' missing spaces;
 * - unigrams (optional): single Han characters, the last resort for typos (积份 ~ 积分);
 * - Latin words and numbers, lower-cased, whole (`iphone15`, `xl`, `618`);
 * - canonical thesaurus words the text implies (咋 → 怎么, zfb → 支付宝).
 *
 * Particles, greetings and politeness (吗 呢 啊 的 了, 亲, 请问, 你好, 谢谢…) are dropped
 * before bigrams are formed, so "请问快递" never yields the bigram 问快. Every token is made of
 * letters and digits only, so it survives Postgres' `to_tsvector('simple', …)` unchanged.
 */
import { isHan, normalise } from './normalise.ts'
import { expandSynonyms } from './synonyms.ts'

// prettier-ignore
/**
 * Greetings, politeness and fillers, removed from the text before segmenting: the segmenter
 * does not reliably isolate them (it reads "你好呀" as 你|好呀).
 */
export const STOP_PHRASES: readonly string[] = [
  '亲爱的', '你们好', '问一下', '在不在', '麻烦你', '麻烦了', '哈哈哈', '你好', '您好', '请问',
  '在吗', '亲亲', '谢谢', '谢啦', '多谢', '感谢', '哈喽', '哈哈', '呵呵', '一下', '那个', '这个',
  '就是', '然后', '老板', '掌柜',
]

/** Modal particles: they never occur inside the words a shop's customers ask about. */
export const PARTICLES = '吗呢啊呀哦嘛啦哇噢喔嗯诶哎呐咯哒哟嘞捏'

// prettier-ignore
/** Whole segments dropped after segmenting (they do occur inside words: 目的, 了解, 什么). */
export const STOP_SEGMENTS: ReadonlySet<string> = new Set([
  '的', '了', '么', '吧', '哈', '亲', '呗', '滴', '撒', '咧', '地', '得', 'hello', 'hi', 'hey',
  'hh', 'hhh',
])

const STOP_RE = new RegExp(`${STOP_PHRASES.join('|')}|[${PARTICLES}]`, 'gu')

/** Options for {@link tokenize}. */
export interface TokenizeOptions {
  /** Emit single Han characters; default true. Off for database lexemes, where they are noise. */
  readonly unigrams?: boolean
  /** Append canonical thesaurus words; default true. */
  readonly synonyms?: boolean
}

// "客服 我的快递…": a leading form of address is not part of the question. Only stripped when
// something follows, so "客服" alone, or "客服电话", keep the word.
const VOCATIVE = /^(?:(?:客服|小姐姐|小哥哥|美女|帅哥|老板|掌柜|店家|亲|你好|您好)\s+)+(?=\S)/u

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' })
// Between a Han character and a letter or digit: ICU would otherwise glue "2尺" into one word.
const SCRIPT_CHANGE =
  /(\p{Script=Han}(?=[^\p{Script=Han}\s\p{M}])|[^\p{Script=Han}\s](?=\p{Script=Han}))/gu
const NOT_WORD = /[^\p{L}\p{N}\p{M}]/gu
const HAS_LETTER = /[\p{L}\p{N}]/u

/** The token bag (with repeats) of `text`. Never throws; an empty text gives `[]`. */
export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  const norm = normalise(text).replace(VOCATIVE, '')
  if (norm === '') return []
  const out: string[] = []
  const latin: string[] = []
  tokenizeNormalised(norm, opts.unigrams !== false, out, latin)
  if (opts.synonyms !== false) {
    const extra = expandSynonyms(norm, latin)
    // Implied words count as words and bigrams only: their single characters were not typed.
    if (extra.length > 0) tokenizeNormalised(extra.join(' '), false, out, [])
  }
  return out
}

/** Tokens joined by spaces: the `kb_chunks.lexemes` form (no unigrams). */
export function toLexemes(text: string): string {
  return tokenize(text, { unigrams: false }).join(' ')
}

function tokenizeNormalised(norm: string, unigrams: boolean, out: string[], latin: string[]): void {
  // A run is a stretch of Han characters between stop words, spaces and other scripts;
  // bigrams never cross a run boundary.
  let run = ''
  const flush = () => {
    const chars = [...run]
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!)
    if (unigrams) for (const c of chars) out.push(c)
    run = ''
  }
  const text = norm.replace(STOP_RE, ' ').replace(SCRIPT_CHANGE, '$1 ')
  for (const { segment } of segmenter.segment(text)) {
    if (STOP_SEGMENTS.has(segment)) {
      flush()
      continue
    }
    const first = String.fromCodePoint(segment.codePointAt(0)!)
    if (isHan(first) && [...segment].every(isHan)) {
      run += segment
      if ([...segment].length >= 2) out.push(segment)
      continue
    }
    flush()
    // Letters, digits and non-Han scripts: keep the segment whole (a grapheme cluster may
    // bring a space along with a combining mark).
    const word = segment.replace(NOT_WORD, '')
    if (!HAS_LETTER.test(word)) continue
    out.push(word)
    latin.push(word)
  }
  flush()
}

/** Distinct tokens of `text`, in first-seen order. */
export function tokenSet(text: string, opts: TokenizeOptions = {}): string[] {
  return [...new Set(tokenize(text, opts))]
}
