import { describe, expect, test } from 'vitest'
import { chunkBody, extractPassage } from './extract-passage.ts'
import {
  buildReplyRequest,
  conversationMessages,
  HANDOFF_MARK,
  isNotConfident,
} from './reply-prompt.ts'

describe('reply prompt', () => {
  test('the system prompt numbers the passages and describes the customer', () => {
    const req = buildReplyRequest({
      query: '拆旧收费吗',
      passages: [{ text: '家具安装\n拆旧按现场报价收费。' }, { text: '会员满1000元升级银卡。' }],
      customer: { name: '李四', grade: 'A', tags: ['VIP', '老客户'] },
      history: [],
      messageId: '00000000-0000-4000-8000-000000000001',
    })
    expect(req.system).toContain('[1] 家具安装\n拆旧按现场报价收费。')
    expect(req.system).toContain('[2] 会员满1000元升级银卡。')
    expect(req.system).toContain(
      '称呼：李四；等级：A（重要客户，请格外耐心周到）；标签：VIP、老客户',
    )
    expect(req.system).toContain(HANDOFF_MARK)
    expect(req).toMatchObject({
      purpose: 'reply',
      messageId: '00000000-0000-4000-8000-000000000001',
    })
  })

  test('turns alternate, start with the customer and end with the new message', () => {
    const msgs = conversationMessages(
      [
        { role: 'bot', text: '您好' },
        { role: 'customer', text: '在吗' },
        { role: 'customer', text: '发货了吗' },
        { role: 'staff', text: '今天发' },
        { role: 'bot', text: '单号稍后发您' },
      ],
      '好的，能开发票吗',
      6,
    )
    expect(msgs).toEqual([
      { role: 'user', content: '在吗\n发货了吗' },
      { role: 'assistant', content: '今天发\n单号稍后发您' },
      { role: 'user', content: '好的，能开发票吗' },
    ])
    expect(conversationMessages([{ role: 'customer', text: '早' }], '在吗', 6)).toEqual([
      { role: 'user', content: '早\n在吗' },
    ])
  })

  test('a model that declines or does not know is read as "hand off"', () => {
    for (const t of [
      HANDOFF_MARK,
      '',
      '抱歉，我不清楚这个问题',
      '我无法回答这个问题',
      '资料里没有相关信息，建议转人工',
      "I don't know.",
    ])
      expect({ t, unsure: isNotConfident(t) }).toEqual({ t, unsure: true })
    for (const t of [
      '如果您不清楚尺码，可以把身高体重发给我们',
      '我们不提供上门取件服务哦',
      '可以的，48小时内发货',
    ])
      expect({ t, unsure: isNotConfident(t) }).toEqual({ t, unsure: false })
  })
})

describe('extractive passages', () => {
  test('drop the heading path and keep a short chunk whole', () => {
    expect(chunkBody('售后服务政策 > 家具安装\n大件家具提供免费上门安装服务。')).toBe(
      '大件家具提供免费上门安装服务。',
    )
    expect(chunkBody('大件家具提供免费上门安装服务。\n第二行。')).toBe(
      '大件家具提供免费上门安装服务。\n第二行。',
    )
    expect(extractPassage('安装', '政策 > 安装\n免费上门安装。')).toBe('免费上门安装。')
  })

  test('cut a long chunk down to the sentences that answer the question, in order', () => {
    const chunk =
      '售后服务政策 > 家具安装\n' +
      '大件家具提供免费上门安装服务，送货后48小时内安装师傅会联系您预约上门时间。' +
      '拆旧、打孔、无电梯搬楼等额外服务按师傅现场报价收费。' +
      '小件家具附安装说明和工具，可以自行安装。' +
      '安装完成后请当场验收，如有问题请联系客服登记，我们会在三个工作日内安排师傅再次上门处理。'
    const out = extractPassage('拆旧要另外收费吗', chunk)
    expect(out).toContain('拆旧、打孔、无电梯搬楼等额外服务按师傅现场报价收费。')
    expect([...out].length).toBeLessThanOrEqual(160)
    expect(out).not.toContain('售后服务政策')
  })
})
