import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { parseCsv } from './csv.ts'

describe('parseCsv', () => {
  test('reads quoted fields with commas, doubled quotes and line breaks', () => {
    const rows = parseCsv(
      '\ufeffquestion,answer\r\n"能开票吗？","可以，""电子""发票\n次日开出"\r\n\r\n退款,"1-5天"\n',
    )
    expect(rows).toEqual([
      { line: 1, fields: ['question', 'answer'] },
      { line: 2, fields: ['能开票吗？', '可以，"电子"发票\n次日开出'] },
      { line: 5, fields: ['退款', '1-5天'] },
    ])
  })

  test('keeps empty fields and a last line without a line end', () => {
    expect(parseCsv('a,,c\n"",x')).toEqual([
      { line: 1, fields: ['a', '', 'c'] },
      { line: 2, fields: ['', 'x'] },
    ])
  })

  test('round-trips any table written with full quoting', () => {
    const cell = fc.string({ unit: 'grapheme', maxLength: 8 })
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { maxLength: 6 }),
        (table) => {
          const rows = table
          const text = rows
            .map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(','))
            .join('\r\n')
          expect(parseCsv(text).map((r) => r.fields)).toEqual(rows)
        },
      ),
    )
  })
})
