import { describe, expect, test } from 'vitest'
import { shouldAnswerInGroup, stripBotMentions } from './group-policy.ts'
import { RuleSetBody } from './rule-set.ts'

const rs = RuleSetBody.parse({ groupPolicy: { botNames: ['小美客服', 'Amy'] } })

describe('group policy', () => {
  test('direct chats are always answered', () => {
    expect(shouldAnswerInGroup(rs, { isGroup: false, mentioned: false, text: '在吗' })).toBe(true)
  })

  test('groups are answered only when the bot is mentioned, by flag or by name', () => {
    expect(shouldAnswerInGroup(rs, { isGroup: true, mentioned: false, text: '在吗' })).toBe(false)
    expect(shouldAnswerInGroup(rs, { isGroup: true, mentioned: true, text: '在吗' })).toBe(true)
    expect(
      shouldAnswerInGroup(rs, { isGroup: true, mentioned: false, text: '@小美客服\u2005在吗' }),
    ).toBe(true)
    expect(shouldAnswerInGroup(rs, { isGroup: true, mentioned: false, text: '＠amy 在吗' })).toBe(
      true,
    )
  })

  test('naming the bot without @, or @-ing someone else, is not a mention', () => {
    expect(shouldAnswerInGroup(rs, { isGroup: true, mentioned: false, text: '小美客服在吗' })).toBe(
      false,
    )
    expect(shouldAnswerInGroup(rs, { isGroup: true, mentioned: false, text: '@张三 在吗' })).toBe(
      false,
    )
  })

  test('a policy that does not require mentions answers every group message', () => {
    const open = RuleSetBody.parse({ groupPolicy: { answerOnlyWhenMentioned: false } })
    expect(shouldAnswerInGroup(open, { isGroup: true, mentioned: false, text: '在吗' })).toBe(true)
  })

  test('stripBotMentions removes only the bot mention', () => {
    expect(stripBotMentions(rs, '@小美客服\u2005@张三 价格')).toBe(' @张三 价格')
    expect(stripBotMentions(rs, '@AMY 价格')).toBe(' 价格')
    expect(stripBotMentions(rs, '价格')).toBe('价格')
  })
})
