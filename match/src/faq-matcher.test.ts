import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import {
  createFaqMatcher,
  defaultFaqMatcherOptions as d,
  SEND_AS_IS_CONFIDENCE,
  type FaqEntry,
} from './faq-matcher.ts'
import {
  BM25,
  bagSize,
  bm25Normalised,
  createTermStats,
  fScore,
  overlap,
  toBag,
} from './term-stats.ts'
import { anyText } from './test-arbitraries.ts'
import { tokenize } from './tokenize.ts'

/**
 * The matcher's score by its definition, bag by bag (see the module comment); the matcher
 * computes the same sums term at a time over postings.
 */
function referenceScores(faqs: readonly FaqEntry[], query: string): Map<string, number> {
  const entries = faqs.flatMap((f) => {
    const surfaces = [f.question, ...(f.variants ?? [])]
      .filter((t) => t.trim() !== '')
      .map((t) => tokenize(t))
      .filter((t) => t.length > 0)
    if (surfaces.length === 0) return []
    const answer = tokenize(f.answer)
    const whole = toBag([...surfaces.flat(), ...surfaces.flat(), ...answer])
    return [
      {
        f,
        surfaces: surfaces.map(toBag),
        answer: toBag(answer),
        whole,
        doc: [...surfaces.flat(), ...answer],
      },
    ]
  })
  const stats = createTermStats(entries.map((e) => e.doc))
  const avg = entries.reduce((s, e) => s + bagSize(e.whole), 0) / Math.max(1, entries.length)
  const q = toBag(tokenize(query))
  const out = new Map<string, number>()
  for (const e of entries) {
    if (![...q.keys()].some((t) => e.whole.has(t))) continue
    const best = Math.max(0, ...e.surfaces.map((s) => fScore(overlap(q, s, stats), d.beta)))
    const score =
      best +
      d.answerWeight * overlap(q, e.answer, stats).recall +
      (d.bm25Weight * bm25Normalised(q, e.whole, bagSize(e.whole), avg, stats)) / (BM25.k1 + 1)
    if (score > 0) out.set(e.f.id, score)
  }
  return out
}

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

  test('scores every entry exactly as the bag-by-bag definition does', () => {
    const text = fc.oneof(
      anyText,
      fc.constantFrom(...FAQS.flatMap((f) => [f.question, f.answer, ...(f.variants ?? [])])),
    )
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ question: text, answer: text, variants: fc.array(text, { maxLength: 2 }) }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.array(text, { minLength: 1, maxLength: 3 }),
        (rows, parts) => {
          const faqs = rows.map((r, i) => ({ id: `f${i}`, ...r }))
          const query = parts.join('')
          const matcher = createFaqMatcher(faqs)
          // Twice: the matcher's accumulators must be clean after each query.
          for (let round = 0; round < 2; round++) {
            const got = new Map(matcher.rank(query, Infinity).map((r) => [r.faq.id, r.score]))
            expect(got).toEqual(referenceScores(faqs, query))
          }
        },
      ),
      { numRuns: 300 },
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
