import { describe, expect, test } from 'vitest'
import { matchKeywordReply } from './keyword-reply.ts'
import { RuleSetBody } from './rule-set.ts'
import type { RuleSetInput } from './rule-set.ts'

const rs = (body: RuleSetInput) => RuleSetBody.parse(body)
const direct = { isGroup: false }
const group = { isGroup: true }

describe('keyword replies', () => {
  const rules = rs({
    keywordReplies: [
      { id: 'ship', keywords: ['发货', '快递'], reply: 'R-ship' },
      {
        id: 'refund-ship',
        keywords: ['退款', '运费'],
        match: 'all',
        reply: 'R-refund-ship',
        priority: 5,
      },
      { id: 'price', keywords: ['价格', '多少钱'], match: 'exact', reply: 'R-price' },
      { id: 'invoice', keywords: ['发票'], reply: 'R-invoice', groups: false },
    ],
    groupPolicy: { botNames: ['小美'] },
  })

  test('any: one keyword is enough, and every found keyword is reported', () => {
    const m = matchKeywordReply(rules, '什么时候发货？用什么快递', direct)
    expect(m).toMatchObject({ matched: true, reply: 'R-ship', keywords: ['发货', '快递'] })
  })

  test('all: every keyword must occur', () => {
    expect(matchKeywordReply(rules, '退款的话运费谁出', direct)).toMatchObject({
      reply: 'R-refund-ship',
    })
    expect(matchKeywordReply(rules, '我要退款', direct)).toEqual({ matched: false })
  })

  test('exact: the whole message, ignoring punctuation, case, width and spaces', () => {
    expect(matchKeywordReply(rules, ' 价格？', direct)).toMatchObject({
      reply: 'R-price',
      keywords: ['价格'],
    })
    expect(matchKeywordReply(rules, '多少钱!!', direct)).toMatchObject({ reply: 'R-price' })
    expect(matchKeywordReply(rules, '这个价格贵吗', direct)).toEqual({ matched: false })
  })

  test('higher priority wins; equal priority goes to the rule listed first', () => {
    expect(matchKeywordReply(rules, '退款运费和发货', direct)).toMatchObject({
      reply: 'R-refund-ship',
    })
    const tie = rs({
      keywordReplies: [
        { id: 'a', keywords: ['你好'], reply: 'A' },
        { id: 'b', keywords: ['你好'], reply: 'B' },
      ],
    })
    expect(matchKeywordReply(tie, '你好', direct)).toMatchObject({ reply: 'A' })
  })

  test('matching is case- and width-insensitive', () => {
    const r = rs({ keywordReplies: [{ id: 'w', keywords: ['WiFi'], reply: 'R-wifi' }] })
    expect(matchKeywordReply(r, 'ｗｉｆｉ密码', direct)).toMatchObject({ reply: 'R-wifi' })
  })

  test('in a group, rules with groups:false are skipped and the bot mention is ignored', () => {
    expect(matchKeywordReply(rules, '开发票', direct)).toMatchObject({ reply: 'R-invoice' })
    expect(matchKeywordReply(rules, '开发票', group)).toEqual({ matched: false })
    expect(matchKeywordReply(rules, '@小美\u2005价格', group)).toMatchObject({ reply: 'R-price' })
  })

  test('no rules, no match', () => {
    expect(matchKeywordReply(rs({}), '发货', direct)).toEqual({ matched: false })
    expect(matchKeywordReply(rules, '', direct)).toEqual({ matched: false })
  })

  test('the same parsed rule set gives the same answer on repeated calls (compiled once)', () => {
    const a = matchKeywordReply(rules, '发货', direct)
    const b = matchKeywordReply(rules, '发货', direct)
    expect(a).toEqual(b)
  })
})
