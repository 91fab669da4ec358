import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createKeywordScanner, outermostHits } from './keyword-scanner.ts'
import { foldBare, foldRuleText, foldWithMap } from './text.ts'

describe('folding', () => {
  test('ignores case, width, whitespace and zero-width characters', () => {
    expect(foldRuleText('ＶＩＰ 客\u200b服 Ab')).toBe('vip客服ab')
    expect(foldRuleText('１２３１５')).toBe('12315')
    expect(foldRuleText('轉人工，騙子')).toBe('转人工,骗子')
  })

  test('keeps a map from folded positions back to the original', () => {
    const f = foldWithMap('a Ｂ😀c')
    expect(f.text).toBe('ab😀c')
    expect(f.start).toEqual([0, 2, 3, 3, 5])
    expect(f.end).toEqual([1, 3, 5, 5, 6])
  })

  test('bare folding also drops punctuation and symbols', () => {
    expect(foldBare('价格？！ ')).toBe('价格')
    expect(foldBare('ok!!')).toBe('ok')
  })
})

describe('keyword scanner', () => {
  test('finds overlapping keywords in one pass', () => {
    const s = createKeywordScanner(['he', 'she', 'his', 'hers'])
    const hits = s.scan('ushers').map((h) => [h.keyword, h.start, h.end])
    expect(hits).toEqual([
      ['she', 1, 4],
      ['he', 2, 4],
      ['hers', 2, 6],
    ])
  })

  test('matches CJK and astral characters with UTF-16 positions', () => {
    const s = createKeywordScanner(['转人工', '人工', '😀好'])
    const hits = s.scan('我要转人工😀好').map((h) => [h.keyword, h.start, h.end])
    expect(hits).toEqual([
      ['转人工', 2, 5],
      ['人工', 3, 5],
      ['😀好', 5, 8],
    ])
  })

  test('folds keywords too, and ignores empty ones', () => {
    const s = createKeywordScanner(['ＷＸ', '', ' '])
    expect(s.size).toBe(1)
    expect(s.scan(foldRuleText('加我wx')).map((h) => h.keyword)).toEqual(['ＷＸ'])
  })

  test('duplicate keywords each report a hit', () => {
    const s = createKeywordScanner(['退款', '退款'])
    expect(s.scan('退款').map((h) => h.index)).toEqual([0, 1])
  })

  test('outermost hits drop keywords nested in a longer hit', () => {
    const s = createKeywordScanner(['转人工', '人工', '工'])
    expect(outermostHits(s.scan('转人工')).map((h) => h.keyword)).toEqual(['转人工'])
  })

  test('agrees with a naive scan on random inputs', () => {
    const alphabet = fc.constantFrom('a', 'b', '人', '工', '😀')
    const word = fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((a) => a.join(''))
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 8 }),
        fc.array(alphabet, { maxLength: 30 }),
        (words, t) => {
          const text = t.join('')
          const got = createKeywordScanner(words)
            .scan(text)
            .map((h) => `${h.index}@${h.start}`)
            .sort()
          const want: string[] = []
          words.forEach((w, i) => {
            for (let at = text.indexOf(w); at >= 0; at = text.indexOf(w, at + 1))
              want.push(`${i}@${at}`)
          })
          expect(got).toEqual(want.sort())
        },
      ),
    )
  })
})
