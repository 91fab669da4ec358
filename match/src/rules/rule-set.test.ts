import { describe, expect, test } from 'vitest'
import { defaultRuleSet, parseRuleSet } from './rule-set.ts'

describe('rule-set body', () => {
  test('an empty body parses to the defaults', () => {
    const r = parseRuleSet({})
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.ruleSet).toEqual(defaultRuleSet())
    expect(r.ruleSet.businessHours.timezone).toBe('Asia/Shanghai')
    expect(r.ruleSet.businessHours.days).toHaveLength(7)
    expect(r.ruleSet.businessHours.afterHoursAction).toBe('notice')
    expect(r.ruleSet.groupPolicy.answerOnlyWhenMentioned).toBe(true)
    expect(r.ruleSet.handoff.vipGrades).toEqual(['A'])
    expect(r.ruleSet.handoff.complaintWords).toContain('12315')
    expect(r.ruleSet.sensitiveAction).toBe('block')
  })

  test('keyword replies get match, priority and groups defaults', () => {
    const r = parseRuleSet({
      keywordReplies: [{ id: 'k1', keywords: ['发货'], reply: '48小时内发货' }],
    })
    expect(r.ok && r.ruleSet.keywordReplies[0]).toEqual({
      id: 'k1',
      keywords: ['发货'],
      match: 'any',
      reply: '48小时内发货',
      priority: 0,
      groups: true,
    })
  })

  test('a partial nested section keeps the defaults of its other fields', () => {
    const r = parseRuleSet({ handoff: { lowConfidence: 0.2 } })
    expect(r.ok && r.ruleSet.handoff.lowConfidence).toBe(0.2)
    expect(r.ok && r.ruleSet.handoff.repeatWindow).toBe(5)
  })

  test('defaults are fresh copies, never shared between rule sets', () => {
    const a = defaultRuleSet()
    a.handoff.keywords.push('x')
    a.businessHours.days[0].open = '00:00'
    expect(defaultRuleSet().handoff.keywords).not.toContain('x')
    expect(defaultRuleSet().businessHours.days[0].open).toBe('09:00')
  })

  test.each([
    ['an unknown time zone', { businessHours: { timezone: 'Mars/Olympus' } }, 'time zone'],
    ['a bad time', { businessHours: { days: [{ day: 1, open: '9:00', close: '21:00' }] } }, 'open'],
    [
      'an empty window',
      { businessHours: { days: [{ day: 1, open: '09:00', close: '09:00' }] } },
      'differ',
    ],
    [
      'a day out of range',
      { businessHours: { days: [{ day: 7, open: '09:00', close: '21:00' }] } },
      'day',
    ],
    ['a bad holiday', { businessHours: { holidays: ['2024-13-01'] } }, 'holidays'],
    ['an unknown grade', { handoff: { vipGrades: ['S'] } }, 'vipGrades'],
    [
      'a keyword reply with no keywords',
      { keywordReplies: [{ id: 'a', keywords: [], reply: 'x' }] },
      'keywords',
    ],
    [
      'a blank keyword',
      { keywordReplies: [{ id: 'a', keywords: ['  '], reply: 'x' }] },
      'keywords',
    ],
    ['a bad action', { businessHours: { afterHoursAction: 'ignore' } }, 'afterHoursAction'],
    [
      'duplicate rule ids',
      {
        keywordReplies: [
          { id: 'a', keywords: ['x'], reply: 'x' },
          { id: 'a', keywords: ['y'], reply: 'y' },
        ],
      },
      'duplicate rule id',
    ],
  ])('rejects %s with a readable message', (_name, body, needle) => {
    const r = parseRuleSet(body)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.message).toContain(needle)
  })

  test('accepts other IANA zones and a 24:00 close', () => {
    const r = parseRuleSet({
      businessHours: {
        timezone: 'America/New_York',
        days: [{ day: 0, open: '00:00', close: '24:00' }],
      },
    })
    expect(r.ok).toBe(true)
  })

  test('rejects non-object bodies without throwing', () => {
    expect(parseRuleSet(null).ok).toBe(false)
    expect(parseRuleSet('rules').ok).toBe(false)
  })
})
