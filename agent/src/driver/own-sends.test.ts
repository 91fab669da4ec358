import { describe, expect, test } from 'vitest'
import { createOwnSends } from './own-sends.ts'

describe('own sends', () => {
  const clock = () => {
    let t = 1_000_000
    return { now: () => t, advance: (ms: number) => (t += ms) }
  }

  test('our own echo is claimed once, even with an OCR slip', () => {
    const c = clock()
    const own = createOwnSends({ now: c.now })
    own.add('张三', '您好，订单 A20240518 已发货。')
    c.advance(60_000)
    expect(own.claim('张三', '您好，订单 A2024O518 已发货.')).toBe(true)
    expect(own.claim('张三', '您好，订单 A20240518 已发货。')).toBe(false)
  })

  test('a bubble in another chat or with other words is a person typing', () => {
    const c = clock()
    const own = createOwnSends({ now: c.now })
    own.add('张三', '您好，马上为您查询。')
    c.advance(60_000)
    expect(own.claim('李四', '您好，马上为您查询。')).toBe(false)
    expect(own.claim('张三', '这个我来处理')).toBe(false)
  })

  test('right after sending, a rougher reading still counts as ours', () => {
    const c = clock()
    const own = createOwnSends({ now: c.now })
    own.add('张三', '好的，已为您备注：L码，黑色。')
    expect(own.claim('张三', '好的，已为您备注：上码，黑色,')).toBe(true)
  })

  test('unclaimed sends are forgotten after the TTL', () => {
    const c = clock()
    const own = createOwnSends({ now: c.now, ttlMs: 1000 })
    own.add('张三', '好的')
    c.advance(1001)
    expect(own.claim('张三', '好的')).toBe(false)
    expect(own.size).toBe(0)
  })

  test('a removed send is not claimed', () => {
    const own = createOwnSends({ now: () => 0 })
    own.remove(own.add('张三', '好的'))
    expect(own.claim('张三', '好的')).toBe(false)
  })
})
