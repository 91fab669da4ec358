import { RuleSetBody } from '@kefu/match'
import type { RuleSetInput } from '@kefu/match'
import { describe, expect, test } from 'vitest'
import { bigramJaccard, detectHandoff } from './handoff.ts'
import type { HandoffInput } from './handoff.ts'

// Monday 2024-03-04 10:00 and 23:00 in Shanghai.
const OPEN = new Date('2024-03-04T02:00:00Z')
const NIGHT = new Date('2024-03-04T15:00:00Z')

function input(over: Partial<HandoffInput> & { rules?: RuleSetInput } = {}): HandoffInput {
  const rs = RuleSetBody.parse(over.rules ?? {})
  return {
    text: '',
    recentCustomerTexts: [],
    confidence: null,
    grade: 'C',
    now: OPEN,
    businessHours: rs.businessHours,
    cfg: rs.handoff,
    ...over,
  }
}
const reasonOf = (over: Partial<HandoffInput> & { rules?: RuleSetInput }) => {
  const d = detectHandoff(input(over))
  return d.handoff ? d.reason : null
}

describe('hand-off: explicit requests', () => {
  test.each([
    '转人工',
    '我要找人工',
    '人工客服在吗',
    '轉人工',
    '能不能找客服',
    '你是真人吗',
    '叫你们经理来',
    '人工',
    '人工！',
    ' 客服 ?',
    'HUMAN',
  ])('"%s" hands off', (text) => expect(reasonOf({ text })).toBe('keyword'))

  test.each(['人工费多少钱', '人工智能是什么', '请问发货了吗', '客服电话是多少'])(
    '"%s" does not (bare 人工/客服 only count as the whole message)',
    (text) => expect(reasonOf({ text })).toBeNull(),
  )

  test.each(['不用人工了', '不用转人工了', '不需要人工客服', '没必要找客服', '不要真人'])(
    'a declined request "%s" does not hand off',
    (text) => expect(reasonOf({ text })).toBeNull(),
  )

  test.each(['不用了，转人工', '我不要机器人，要真人', '有没有别的真人客服'])(
    'a negation elsewhere in "%s" does not cancel a real request',
    (text) => expect(reasonOf({ text })).toBe('keyword'),
  )

  test('keywords and negations are configurable', () => {
    const rules = { handoff: { keywords: ['找小王'], exactKeywords: [], negations: ['甭'] } }
    expect(reasonOf({ text: '我找小王', rules })).toBe('keyword')
    expect(reasonOf({ text: '甭找小王', rules })).toBeNull()
    expect(reasonOf({ text: '转人工', rules })).toBeNull()
  })
})

describe('hand-off: complaints', () => {
  test.each([
    '我要投诉你们',
    '给差评',
    '你们就是骗子',
    '退款不给是吧',
    '服务太差了',
    '打１２３１５',
    '去消协告你们',
    '我要举报',
    '你們是騙子',
  ])('"%s" hands off as a complaint', (text) => expect(reasonOf({ text })).toBe('complaint'))

  test('a negated complaint word still hands off ("我不投诉" is still a dispute)', () => {
    expect(reasonOf({ text: '我不投诉，你们退款就行' })).toBe('complaint')
  })

  test('complaint outranks an explicit request, and every trigger is listed', () => {
    const d = detectHandoff(input({ text: '转人工，我要投诉', grade: 'A' }))
    expect(d).toEqual({
      handoff: true,
      reason: 'complaint',
      reasons: ['complaint', 'keyword', 'vip'],
      afterHours: false,
    })
  })

  test('complaint words are configurable', () => {
    expect(reasonOf({ text: '太坑了', rules: { handoff: { complaintWords: ['太坑'] } } })).toBe(
      'complaint',
    )
    expect(reasonOf({ text: '投诉', rules: { handoff: { complaintWords: [] } } })).toBeNull()
  })
})

describe('hand-off: repeated question', () => {
  const recent = ['你好', '这个什么时候发货？', '好的']

  test('the same question again (after normalisation) hands off', () => {
    expect(reasonOf({ text: '这个什么时候发货', recentCustomerTexts: recent })).toBe(
      'repeated_question',
    )
    expect(reasonOf({ text: '这个 什么时候发货啊？？', recentCustomerTexts: recent })).toBe(
      'repeated_question',
    )
  })

  test('a different question does not', () => {
    expect(reasonOf({ text: '这个可以退货吗', recentCustomerTexts: recent })).toBeNull()
  })

  test('short acknowledgements repeated are not a repeated question', () => {
    expect(reasonOf({ text: '好的', recentCustomerTexts: recent })).toBeNull()
  })

  test('only the last repeatWindow messages count, and 0 turns it off', () => {
    const old = ['这个什么时候发货？', 'a', 'b', 'c', 'd', 'e']
    expect(reasonOf({ text: '这个什么时候发货', recentCustomerTexts: old })).toBeNull()
    const rules = { handoff: { repeatWindow: 0 } }
    expect(reasonOf({ text: '这个什么时候发货', recentCustomerTexts: recent, rules })).toBeNull()
  })

  test('bigram Jaccard', () => {
    expect(bigramJaccard('什么时候发货', '什么时候发货？')).toBe(1)
    expect(bigramJaccard('abcd', 'abce')).toBeCloseTo(2 / 4)
    expect(bigramJaccard('', 'abc')).toBe(0)
    expect(bigramJaccard('好', '好')).toBe(1)
  })
})

describe('hand-off: confidence and grade', () => {
  test('an answer below the confidence threshold hands off; at or above does not', () => {
    expect(reasonOf({ text: '问题', confidence: 0.39 })).toBe('low_confidence')
    expect(reasonOf({ text: '问题', confidence: 0.4 })).toBeNull()
    expect(reasonOf({ text: '问题', confidence: null })).toBeNull()
    expect(
      reasonOf({ text: '问题', confidence: 0.6, rules: { handoff: { lowConfidence: 0.7 } } }),
    ).toBe('low_confidence')
  })

  test('VIP grades (A by default) hand off; others and unknown grades do not', () => {
    expect(reasonOf({ text: '你好', grade: 'A' })).toBe('vip')
    expect(reasonOf({ text: '你好', grade: 'B' })).toBeNull()
    expect(reasonOf({ text: '你好', grade: null })).toBeNull()
    expect(
      reasonOf({ text: '你好', grade: 'B', rules: { handoff: { vipGrades: ['A', 'B'] } } }),
    ).toBe('vip')
  })
})

describe('hand-off: business hours', () => {
  test('inside hours nothing special happens', () => {
    expect(detectHandoff(input({ text: '你好' }))).toEqual({
      handoff: false,
      afterHours: false,
      afterHoursNotice: null,
    })
  })

  test('after hours with the default notice action: no hand-off, the notice to send', () => {
    const d = detectHandoff(input({ text: '你好', now: NIGHT }))
    expect(d).toEqual({
      handoff: false,
      afterHours: true,
      afterHoursNotice: '您好，现在是非工作时间，客服上班后会第一时间回复您。',
    })
  })

  test('after hours with the handoff action hands off', () => {
    const rules = { businessHours: { afterHoursAction: 'handoff' as const } }
    expect(reasonOf({ text: '你好', now: NIGHT, rules })).toBe('after_hours')
    expect(reasonOf({ text: '你好', now: OPEN, rules })).toBeNull()
  })

  test('after hours with the answer action lets the bot answer', () => {
    const rules = { businessHours: { afterHoursAction: 'answer' as const } }
    expect(detectHandoff(input({ text: '你好', now: NIGHT, rules }))).toEqual({
      handoff: false,
      afterHours: true,
      afterHoursNotice: null,
    })
  })

  test('other triggers still hand off after hours, flagged for the worker to say so', () => {
    const d = detectHandoff(input({ text: '转人工', now: NIGHT }))
    expect(d).toEqual({ handoff: true, reason: 'keyword', reasons: ['keyword'], afterHours: true })
  })
})
