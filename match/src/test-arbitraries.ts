/**
 * fast-check arbitraries for Chinese chat text, shared by this package's property tests.
 */
import fc from 'fast-check'

const CHAT_PIECES = [
  ...'你好亲在吗请问快递退款换货发票尺码優惠卷運費還沒到咋啥了的吗呢啊',
  '！',
  '？',
  '，',
  '。',
  '～',
  '…',
  '、',
  '“',
  '”',
  '（',
  '）',
  '【',
  '】',
  'Ａ',
  'ｂ',
  '１',
  '２',
  '　',
  ' ',
  '\t',
  '\n',
  '😂',
  '🙏',
  '👍🏻',
  '❤️',
  '[捂脸]',
  '[微笑]',
  'sf',
  'zfb',
  'XL',
  'iPhone15',
  '618',
  'ß',
  'ẞ',
  'İ',
  'ﬁ',
  '㈱',
  '①',
  'Ⅻ',
  'é',
  'é',
  '\u0301',
  '\u200b',
  '\ufeff',
  '\u3000',
]

/** Strings built from chat-like pieces: Han, traditional, full-width, emoji, stickers. */
export const chatText = fc
  .array(fc.constantFrom(...CHAT_PIECES), { maxLength: 40 })
  .map((ps) => ps.join(''))

/** Any unicode: every code point, lone surrogates, and chat-like text. */
export const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({
    unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    maxLength: 5,
  }),
  chatText,
)
