import { describe, expect, test } from 'vitest'
import { defaultGradeRules, gradeCustomer } from './customer-grade.ts'
import type { CustomerProfile, GradeRules } from './customer-grade.ts'

const NOW = new Date('2024-06-01T00:00:00Z')
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000)

function profile(over: Partial<CustomerProfile> = {}): CustomerProfile {
  return {
    spend: 0,
    messageCount: 3,
    lastSeenAt: daysAgo(1),
    firstSeenAt: daysAgo(30),
    tags: [],
    ...over,
  }
}
const grade = (over: Partial<CustomerProfile>, rules: GradeRules = defaultGradeRules) =>
  gradeCustomer(profile(over), rules, NOW).grade

describe('customer grading', () => {
  test('an active customer who has not bought yet is C', () => {
    expect(gradeCustomer(profile(), defaultGradeRules, NOW)).toEqual({
      grade: 'C',
      reasons: ['spend and orders below B → C'],
    })
  })

  test.each([
    [999.99, 'C'],
    [1_000, 'B'],
    [4_999, 'B'],
    [5_000, 'A'],
  ] as const)('spend %s → %s', (spend, want) => expect(grade({ spend })).toBe(want))

  test('order count grades too; the better of spend and orders wins', () => {
    expect(grade({ orders: 5 })).toBe('B')
    expect(grade({ orders: 20 })).toBe('A')
    expect(grade({ orders: 6, spend: 6_000 })).toBe('A')
  })

  test('the ERP total counts when it is larger than what kefu saw', () => {
    expect(grade({ spend: 200, erp: { totalSpend: 8_000 } })).toBe('A')
    expect(grade({ spend: 2_000, erp: { totalSpend: 10 } })).toBe('B')
  })

  test('a VIP tag makes A, matched ignoring case and width', () => {
    expect(grade({ tags: ['vip'] })).toBe('A')
    expect(grade({ tags: ['ＶＩＰ'] })).toBe('A')
    expect(grade({ tags: ['大客户'] })).toBe('A')
  })

  test('a blacklist tag makes D whatever else is true', () => {
    const r = gradeCustomer(
      profile({ tags: ['VIP', '黑名单'], spend: 99_999 }),
      defaultGradeRules,
      NOW,
    )
    expect(r).toEqual({ grade: 'D', reasons: ['blacklist tag "黑名单"'] })
    expect(grade({ tags: ['BlackList'] })).toBe('D')
  })

  test('ERP levels map to grades and only ever raise', () => {
    expect(grade({ erp: { level: '金卡' } })).toBe('A')
    expect(grade({ erp: { level: '银卡' } })).toBe('B')
    expect(grade({ erp: { level: '普通' }, spend: 6_000 })).toBe('A')
    expect(grade({ erp: { level: '未知等级' } })).toBe('C')
  })

  test('dormancy demotes the computed grade one step', () => {
    expect(grade({ spend: 6_000, lastSeenAt: daysAgo(179) })).toBe('A')
    expect(grade({ spend: 6_000, lastSeenAt: daysAgo(180) })).toBe('B')
    expect(grade({ spend: 1_500, lastSeenAt: daysAgo(400) })).toBe('C')
    expect(grade({ lastSeenAt: daysAgo(400) })).toBe('D')
  })

  test('a recent ERP order keeps a customer who stopped chatting active', () => {
    expect(
      grade({ spend: 6_000, lastSeenAt: daysAgo(400), erp: { lastOrderAt: daysAgo(10) } }),
    ).toBe('A')
  })

  test('explicit grades are not demoted by dormancy', () => {
    expect(grade({ tags: ['VIP'], lastSeenAt: daysAgo(1_000) })).toBe('A')
    expect(grade({ erp: { level: '银卡' }, lastSeenAt: daysAgo(1_000) })).toBe('B')
  })

  test('reasons explain the grade in the order weighed', () => {
    const r = gradeCustomer(
      profile({ erp: { level: '银卡', totalSpend: 1_200 }, orders: 6, lastSeenAt: daysAgo(200) }),
      defaultGradeRules,
      NOW,
    )
    expect(r).toEqual({
      grade: 'B',
      reasons: [
        'ERP level "银卡" → B',
        'spend 1200 → B',
        '6 orders → B',
        'inactive 200 days: B → C',
      ],
    })
  })

  test('rules are configurable', () => {
    const rules: GradeRules = {
      ...defaultGradeRules,
      vipTags: ['金主'],
      blacklistTags: ['拉黑'],
      erpLevels: { Gold: 'A' },
      spend: { A: 100, B: 10 },
      dormantAfterDays: 30,
    }
    expect(grade({ tags: ['金主'] }, rules)).toBe('A')
    expect(grade({ tags: ['VIP'] }, rules)).toBe('C')
    expect(grade({ tags: ['拉黑'] }, rules)).toBe('D')
    expect(grade({ erp: { level: 'GOLD' } }, rules)).toBe('A')
    expect(grade({ spend: 50 }, rules)).toBe('B')
    expect(grade({ spend: 50, lastSeenAt: daysAgo(31) }, rules)).toBe('C')
  })

  test('garbage amounts and future timestamps do not break grading', () => {
    expect(grade({ spend: Number.NaN, erp: { totalSpend: -5 } })).toBe('C')
    expect(grade({ spend: Infinity })).toBe('C')
    expect(grade({ lastSeenAt: new Date(NOW.getTime() + 86_400_000) })).toBe('C')
  })
})
