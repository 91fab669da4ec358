import { describe, expect, test } from 'vitest'
import { RuleSetBody } from './rule-set.ts'
import { filterSensitive } from './sensitive.ts'

const rs = (words: string[], extra: object = {}) =>
  RuleSetBody.parse({ sensitiveWords: words, ...extra })

describe('sensitive-word filter (outgoing text)', () => {
  test('clean text passes through untouched', () => {
    expect(filterSensitive(rs(['微信']), '您好，已为您发货')).toEqual({
      text: '您好，已为您发货',
      hits: [],
      blocked: false,
    })
  })

  test('masks each character of a hit and reports it; block is the default policy', () => {
    expect(filterSensitive(rs(['加微信']), '请加微信联系')).toEqual({
      text: '请＊＊＊联系',
      hits: ['加微信'],
      blocked: true,
    })
  })

  test('mask policy lets the masked text go out', () => {
    const r = filterSensitive(rs(['最便宜'], { sensitiveAction: 'mask' }), '全网最便宜')
    expect(r).toEqual({ text: '全网＊＊＊', hits: ['最便宜'], blocked: false })
  })

  test('catches width, case and spacing variants and masks them in place', () => {
    const r = filterSensitive(rs(['wx']), '加 Ｗ Ｘ 吧')
    expect(r.text).toBe('加 ＊ ＊ 吧')
    expect(r.hits).toEqual(['wx'])
  })

  test('overlapping hits merge into one masked span; hits are distinct', () => {
    const r = filterSensitive(rs(['骗子', '子公司', '骗']), '骗子公司骗')
    expect(r.text).toBe('＊＊＊＊＊')
    expect(r.hits).toEqual(['骗', '骗子', '子公司'])
  })

  test('a longer replacement replaces each hit whole', () => {
    const r = filterSensitive(
      rs(['违禁词'], { sensitiveReplacement: '[已屏蔽]' }),
      'a违禁词b违禁词',
    )
    expect(r.text).toBe('a[已屏蔽]b[已屏蔽]')
  })

  test('no sensitive words configured: nothing to do', () => {
    expect(filterSensitive(rs([]), '任何内容')).toEqual({
      text: '任何内容',
      hits: [],
      blocked: false,
    })
  })
})
