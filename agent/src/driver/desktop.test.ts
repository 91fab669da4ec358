import { describe, expect, test } from 'vitest'
import { fixTitleEncoding } from './desktop.ts'

describe('fixTitleEncoding', () => {
  test('re-decodes a UTF-8 title that X11 handed over as Latin-1', () => {
    expect(fixTitleEncoding(Buffer.from('微信', 'utf8').toString('latin1'))).toBe('微信')
  })

  test('leaves proper titles alone', () => {
    expect(fixTitleEncoding('微信')).toBe('微信')
    expect(fixTitleEncoding('WeChat')).toBe('WeChat')
    expect(fixTitleEncoding('Café')).toBe('Café')
  })
})
