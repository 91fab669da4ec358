import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { classifySmallTalk, isGreeting, isSmallTalk } from './small-talk.ts'
import { anyText } from './test-arbitraries.ts'

describe('small talk', () => {
  test.each([
    ['你好', 'greeting'],
    ['亲 在吗？', 'greeting'],
    ['在不在呀亲', 'greeting'],
    ['哈喽～', 'greeting'],
    ['Hello!', 'greeting'],
    ['在吗[微笑]', 'greeting'],
    ['亲？', 'greeting'],
    ['謝謝啦😊', 'thanks'],
    ['thank you', 'thanks'],
    ['好的 谢谢 再见', 'bye'],
    ['88', 'bye'],
    ['嗯嗯 好的', 'ack'],
    ['好的亲', 'ack'],
    ['OK', 'ack'],
  ])('%s is %s', (text, kind) => {
    expect(classifySmallTalk(text)).toBe(kind)
  })

  test.each(['你好 我的快递到哪了', '谢谢 那运费呢', '可以退吗', '在吗 发票怎么开', '', '？？'])(
    '%s is not small talk',
    (text) => {
      expect(isSmallTalk(text)).toBe(false)
    },
  )

  test('isGreeting is true only for greetings', () => {
    expect(isGreeting('您好')).toBe(true)
    expect(isGreeting('谢谢')).toBe(false)
  })

  test('never throws on arbitrary text', () => {
    fc.assert(fc.property(anyText, (s) => void classifySmallTalk(s)))
  })
})
