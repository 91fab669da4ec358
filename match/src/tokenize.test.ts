import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { tokenize, tokenSet, toLexemes } from './tokenize.ts'
import { anyText } from './test-arbitraries.ts'

describe('tokenize', () => {
  test('emits dictionary words, character bigrams and single characters', () => {
    const t = tokenSet('退货运费')
    expect(t).toEqual(expect.arrayContaining(['退货', '运费', '货运', '退', '费']))
  })

  test('drops particles and greetings before forming bigrams', () => {
    const t = tokenSet('你好，请问快递到了吗', { synonyms: false })
    expect(t).toContain('快递')
    expect(t).not.toContain('你好')
    expect(t).not.toContain('问快')
    expect(t).not.toContain('吗')
  })

  test('strips a leading form of address but keeps the word elsewhere', () => {
    expect(tokenSet('客服 我要退货')).not.toContain('客服')
    expect(tokenSet('客服电话多少')).toContain('客服')
  })

  test('keeps Latin words and numbers whole and lower-cased', () => {
    expect(tokenSet('iPhone15 XL码 618')).toEqual(expect.arrayContaining(['iphone15', 'xl', '618']))
  })

  test('appends canonical thesaurus words for colloquial forms and abbreviations', () => {
    expect(tokenSet('咋退钱')).toEqual(expect.arrayContaining(['怎么', '退款']))
    expect(tokenSet('能发sf吗')).toContain('顺丰')
    expect(tokenSet('优惠卷在哪领')).toContain('惠券')
  })

  test('lexemes hold no single characters', () => {
    expect(toLexemes('退货运费').split(' ')).not.toContain('退')
  })

  test('is empty for empty, punctuation-only and particle-only text', () => {
    expect(tokenize('')).toEqual([])
    expect(tokenize('？？！…😂')).toEqual([])
    expect(tokenize('亲，你好呀')).toEqual([])
  })

  test('never throws and yields only letter/digit tokens that survive to_tsvector', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        for (const t of tokenize(s)) expect(t).toMatch(/^[\p{L}\p{N}\p{M}]+$/u)
      }),
      { numRuns: 1000 },
    )
  })
})
