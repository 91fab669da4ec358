import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { createFaqMatcher, SEND_AS_IS_CONFIDENCE, type FaqEntry } from './faq-matcher.ts'
import { anyText } from './test-arbitraries.ts'

const FAQS: (FaqEntry & { tag: string })[] = [
  {
    id: 'ship',
    question: '下单后多久发货？',
    answer: '现货商品付款后48小时内发货。',
    variants: ['什么时候发货'],
    tag: 'a',
  },
  { id: 'refund', question: '退款多久到账？', answer: '原路退回，1-5个工作日到账。', tag: 'b' },
  { id: 'invoice', question: '可以开发票吗？', answer: '支持开具电子发票。', tag: 'c' },
  {
    id: 'sf',
    question: '可以指定顺丰发货吗？',
    answer: '可以，补运费差价12元。',
    variants: ['能不能发顺丰'],
    tag: 'd',
  },
  { id: 'size', question: '怎么选尺码？', answer: '请参考详情页的尺码表。', tag: 'e' },
]

describe('createFaqMatcher', () => {
  const m = createFaqMatcher(FAQS)

  test('sends the curated answer for a near-verbatim question', () => {
    const hit = m.match('亲，请问可以开发票吗？')
    expect(hit?.faq.id).toBe('invoice')
    expect(hit!.confidence).toBeGreaterThanOrEqual(SEND_AS_IS_CONFIDENCE)
  })

  test('ranks a colloquial paraphrase first', () => {
    expect(m.rank('钱啥时候退到账啊', 3)[0]?.faq.id).toBe('refund')
    expect(m.rank('能发sf吗 急用', 3)[0]?.faq.id).toBe('sf')
  })

  test('matches through a variant as well as the question', () => {
    expect(m.rank('啥时候发货呀', 1)[0]?.faq.id).toBe('ship')
  })

  test('returns null for an out-of-scope message and for small talk', () => {
    expect(m.match('今天天气怎么样')).toBeNull()
    expect(m.match('你好')).toBeNull()
    expect(m.rank('你好')).toEqual([])
  })

  test('keeps the caller’s extra fields on the matched entry', () => {
    expect(m.rank('开发票', 1)[0]?.faq.tag).toBe('c')
  })

  test('rank honours k and orders by score', () => {
    const r = m.rank('发货 顺丰 发票 尺码 退款', 3)
    expect(r).toHaveLength(3)
    for (let i = 1; i < r.length; i++) expect(r[i - 1]!.score).toBeGreaterThanOrEqual(r[i]!.score)
  })

  test('a close rival lowers confidence', () => {
    const twins = createFaqMatcher([
      { id: 'a', question: '退货运费谁出', answer: '买家' },
      { id: 'b', question: '换货运费谁出', answer: '卖家' },
    ])
    const alone = createFaqMatcher([{ id: 'a', question: '退货运费谁出', answer: '买家' }])
    const q = '运费谁出'
    expect(twins.rank(q, 1)[0]!.confidence).toBeLessThan(alone.rank(q, 1)[0]!.confidence)
  })

  test('an empty FAQ matches nothing', () => {
    expect(createFaqMatcher([]).match('发货')).toBeNull()
  })

  test('never throws on arbitrary text and keeps confidence in 0..1', () => {
    fc.assert(
      fc.property(anyText, (q) => {
        for (const r of m.rank(q, 5)) {
          expect(r.confidence).toBeGreaterThanOrEqual(0)
          expect(r.confidence).toBeLessThanOrEqual(1)
          expect(Number.isFinite(r.score)).toBe(true)
        }
        m.match(q)
      }),
      { numRuns: 500 },
    )
  })

  test('indexes arbitrary FAQ text without throwing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyText, anyText), { maxLength: 8 }), anyText, (rows, q) => {
        const faqs = rows.map(([question, answer], i) => ({ id: String(i), question, answer }))
        createFaqMatcher(faqs).rank(q)
      }),
      { numRuns: 200 },
    )
  })
})
