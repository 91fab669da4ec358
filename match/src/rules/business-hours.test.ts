import { describe, expect, test } from 'vitest'
import { isWithinBusinessHours, localTime } from './business-hours.ts'
import { RuleSetBody } from './rule-set.ts'
import type { RuleSetInput } from './rule-set.ts'

const rs = (bh: RuleSetInput['businessHours']) => RuleSetBody.parse({ businessHours: bh })
// Shanghai is UTC+8 all year: 01:00Z is 09:00 local.
const at = (iso: string) => new Date(iso)

describe('business hours', () => {
  test('reads the wall clock of the rule set zone, not the host zone', () => {
    // 2024-01-01T16:30Z is Tuesday 00:30 in Shanghai but still Monday in UTC.
    expect(localTime(at('2024-01-01T16:30:00Z'), 'Asia/Shanghai')).toEqual({
      date: '2024-01-02',
      weekday: 2,
      minute: 30,
    })
  })

  test('default hours are 09:00–21:00 Shanghai, every day, close exclusive', () => {
    const d = RuleSetBody.parse({})
    expect(isWithinBusinessHours(d, at('2024-03-04T00:59:00Z'))).toBe(false) // 08:59
    expect(isWithinBusinessHours(d, at('2024-03-04T01:00:00Z'))).toBe(true) // 09:00
    expect(isWithinBusinessHours(d, at('2024-03-04T12:59:00Z'))).toBe(true) // 20:59
    expect(isWithinBusinessHours(d, at('2024-03-04T13:00:00Z'))).toBe(false) // 21:00
  })

  test('only listed weekdays open', () => {
    const weekdays = rs({
      days: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '18:00' })),
    })
    expect(isWithinBusinessHours(weekdays, at('2024-03-08T02:00:00Z'))).toBe(true) // Fri 10:00
    expect(isWithinBusinessHours(weekdays, at('2024-03-09T02:00:00Z'))).toBe(false) // Sat 10:00
  })

  test('split shifts', () => {
    const split = rs({
      days: [
        { day: 1, open: '09:00', close: '12:00' },
        { day: 1, open: '14:00', close: '18:00' },
      ],
    })
    expect(isWithinBusinessHours(split, at('2024-03-04T03:30:00Z'))).toBe(true) // 11:30
    expect(isWithinBusinessHours(split, at('2024-03-04T05:00:00Z'))).toBe(false) // 13:00
    expect(isWithinBusinessHours(split, at('2024-03-04T06:00:00Z'))).toBe(true) // 14:00
  })

  test('holidays close the whole local day', () => {
    const h = rs({ holidays: ['2024-10-01'] })
    expect(isWithinBusinessHours(h, at('2024-10-01T02:00:00Z'))).toBe(false) // 10:00 on 1 Oct
    expect(isWithinBusinessHours(h, at('2024-10-02T02:00:00Z'))).toBe(true)
    // 30 Sep 16:00Z is already 1 Oct 00:00 in Shanghai.
    const allDay = rs({
      holidays: ['2024-10-01'],
      days: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' })),
    })
    expect(isWithinBusinessHours(allDay, at('2024-09-30T15:59:00Z'))).toBe(true)
    expect(isWithinBusinessHours(allDay, at('2024-09-30T16:00:00Z'))).toBe(false)
  })

  test('a window past midnight belongs to the day it opened', () => {
    // Friday 20:00 → Saturday 02:00.
    const late = rs({ days: [{ day: 5, open: '20:00', close: '02:00' }] })
    expect(isWithinBusinessHours(late, at('2024-03-08T12:00:00Z'))).toBe(true) // Fri 20:00
    expect(isWithinBusinessHours(late, at('2024-03-08T17:59:00Z'))).toBe(true) // Sat 01:59
    expect(isWithinBusinessHours(late, at('2024-03-08T18:00:00Z'))).toBe(false) // Sat 02:00
    expect(isWithinBusinessHours(late, at('2024-03-07T17:00:00Z'))).toBe(false) // Fri 01:00
    // A holiday on Friday cancels the Saturday-morning tail too.
    const hol = rs({ days: [{ day: 5, open: '20:00', close: '02:00' }], holidays: ['2024-03-08'] })
    expect(isWithinBusinessHours(hol, at('2024-03-08T17:00:00Z'))).toBe(false)
  })

  test('zones with DST use the local wall clock on both sides of the change', () => {
    const ny = rs({
      timezone: 'America/New_York',
      days: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '09:00', close: '17:00' })),
    })
    // 9:30 local is 14:30Z in winter (EST) and 13:30Z in summer (EDT).
    expect(isWithinBusinessHours(ny, at('2024-01-10T14:30:00Z'))).toBe(true)
    expect(isWithinBusinessHours(ny, at('2024-01-10T13:30:00Z'))).toBe(false)
    expect(isWithinBusinessHours(ny, at('2024-07-10T13:30:00Z'))).toBe(true)
  })

  test('no windows means always closed', () => {
    expect(isWithinBusinessHours(rs({ days: [] }), at('2024-03-04T04:00:00Z'))).toBe(false)
  })
})
