import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { normalise } from './normalise.ts'
import { toSimplified, TRAD_SIMP_SIZE } from './trad-simp.ts'
import { anyText } from './test-arbitraries.ts'

describe('normalise', () => {
  test('folds full-width letters and digits to lower-case half-width', () => {
    expect(normalise('ＸＬ码　ｉＰｈｏｎｅ１５')).toBe('xl码 iphone15')
  })

  test('turns Chinese and ASCII punctuation, emoji and WeChat stickers into single spaces', () => {
    expect(normalise('亲，在吗？？😂[捂脸]快递……到了吗!!')).toBe('亲 在吗 快递 到了吗')
  })

  test('converts common traditional characters to simplified', () => {
    expect(normalise('請問這個貨什麼時候發？運費多少錢')).toBe('请问这个货什么时候发 运费多少钱')
  })

  test('can keep traditional characters when asked', () => {
    expect(normalise('運費', { simplify: false })).toBe('運費')
  })

  test('is idempotent on any text', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const once = normalise(s)
        expect(normalise(once)).toBe(once)
      }),
      { numRuns: 2000 },
    )
  })

  test('never leaves leading, trailing or double spaces', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const n = normalise(s)
        expect(n).toBe(n.trim())
        expect(n).not.toMatch(/\s\s/)
      }),
    )
  })
})

describe('toSimplified', () => {
  test('has a few hundred entries and is idempotent', () => {
    expect(TRAD_SIMP_SIZE).toBeGreaterThan(300)
    fc.assert(fc.property(anyText, (s) => toSimplified(toSimplified(s)) === toSimplified(s)))
  })
})
