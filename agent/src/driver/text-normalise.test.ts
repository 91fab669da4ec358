import { describe, expect, test } from 'vitest'
import {
  canonicalText,
  editDistance,
  joinLines,
  normaliseOcrText,
  parseChatTitle,
  similarity,
} from './text-normalise.ts'

describe('normaliseOcrText', () => {
  test('drops OCR spaces between CJK characters', () => {
    expect(normaliseOcrText('你 好 ， 我 想 问 一 下')).toBe('你好，我想问一下')
  })

  test('keeps real spaces between CJK and Latin words', () => {
    expect(normaliseOcrText('订单 A20240518 什么时候发货')).toBe('订单 A20240518 什么时候发货')
  })

  test('widens punctuation next to CJK and leaves it half width between Latin', () => {
    expect(normaliseOcrText('什么时候发货?')).toBe('什么时候发货？')
    expect(normaliseOcrText('好的,谢谢!')).toBe('好的，谢谢！')
    expect(normaliseOcrText('OK, thanks!')).toBe('OK, thanks!')
    expect(normaliseOcrText('价格: 99.5元')).toBe('价格：99.5元')
  })

  test('turns a full stop after CJK into 。 but not a decimal point', () => {
    expect(normaliseOcrText('已发货.')).toBe('已发货。')
    expect(normaliseOcrText('共3.5公斤')).toBe('共3.5公斤')
  })

  test('restores a yen sign OCR read as # or Y before a price, and only there', () => {
    expect(normaliseOcrText('价格Y3809.62，运费 12 元')).toBe('价格¥3809.62，运费 12 元')
    expect(normaliseOcrText('退款 #794.80 元')).toBe('退款 ¥794.80 元')
    expect(normaliseOcrText('订单 Y20240518 已发货')).toBe('订单 Y20240518 已发货')
    expect(normaliseOcrText('型号 XY12.50')).toBe('型号 XY12.50')
  })

  test('folds full-width letters and digits to half width', () => {
    expect(normaliseOcrText('ＶＩＰ会员１２３')).toBe('VIP会员123')
  })

  test('collapses whitespace and drops empty lines', () => {
    expect(normaliseOcrText('  第一行  \n\n  第二行 ')).toBe('第一行\n第二行')
  })

  test('is idempotent', () => {
    const samples = ['你 好 ?', 'OK 谢谢!', '订单(A1)已发货.', 'a  b\n\nc']
    for (const s of samples) expect(normaliseOcrText(normaliseOcrText(s))).toBe(normaliseOcrText(s))
  })
})

describe('joinLines', () => {
  test('joins soft-wrapped CJK lines without a space', () => {
    const lines = [
      { text: '地址是北京市朝阳区建国路88号，这是', hardBreak: false },
      { text: '一条很长的消息', hardBreak: false },
    ]
    expect(joinLines(lines)).toBe('地址是北京市朝阳区建国路88号，这是一条很长的消息')
  })

  test('joins soft-wrapped Latin words with a space', () => {
    expect(
      joinLines([
        { text: 'please check order', hardBreak: false },
        { text: 'A123 today', hardBreak: false },
      ]),
    ).toBe('please check order A123 today')
  })

  test('keeps hard breaks as newlines', () => {
    expect(
      joinLines([
        { text: '第一行', hardBreak: true },
        { text: '第二行', hardBreak: false },
      ]),
    ).toBe('第一行\n第二行')
  })
})

describe('comparison', () => {
  test('canonical text folds widths, Chinese punctuation and whitespace', () => {
    expect(canonicalText('你好，世界！ OK')).toBe(canonicalText('你好,世界!ok'))
    expect(canonicalText('好的。')).toBe('好的.')
  })

  test('edit distance counts code points', () => {
    expect(editDistance('你好', '你们好')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })

  test('similarity tolerates one OCR slip in a long text', () => {
    const sent = '您好，您的订单 A20240518 已经发货，预计明天送达。'
    expect(similarity(sent, '您好,您的订单A20240518已经发货,预计明天送达.')).toBe(1)
    expect(similarity(sent, '您好，您的订单 A2024O518 已经发货，预计明天送达。')).toBeGreaterThan(
      0.9,
    )
    expect(similarity(sent, '完全不同的一句话')).toBeLessThan(0.3)
  })
})

describe('parseChatTitle', () => {
  test('reads a group member count', () => {
    expect(parseChatTitle('售后群(12)')).toEqual({ title: '售后群', isGroup: true, members: 12 })
    expect(parseChatTitle('售后群 （ 12 ）')).toEqual({
      title: '售后群',
      isGroup: true,
      members: 12,
    })
  })

  test('a one-to-one chat has no count', () => {
    expect(parseChatTitle(' 张 三 ')).toEqual({ title: '张三', isGroup: false, members: null })
  })
})
