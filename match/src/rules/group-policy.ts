/**
 * Group-chat policy: in a group the bot speaks only when addressed (by default), because a bot
 * that chimes in on every line gets the account removed from the group, or reported.
 */
import type { RuleSet } from './rule-set.ts'
import { foldRuleText } from './text.ts'

/** What the policy needs to know about one incoming message. */
export interface GroupMessage {
  readonly isGroup: boolean
  /** The driver saw an @mention of our account (WeChat's own flag, when it can be read). */
  readonly mentioned: boolean
  readonly text: string
}

// "@" in both widths; WeChat ends a mention with U+2005, which folding already drops.
const AT = /[@＠]/u

function mentionsByName(ruleSet: Pick<RuleSet, 'groupPolicy'>, text: string): boolean {
  if (!AT.test(text)) return false
  const folded = foldRuleText(text)
  return ruleSet.groupPolicy.botNames.some((n) => folded.includes(`@${foldRuleText(n)}`))
}

/**
 * Whether the bot may answer this message. Direct chats: always. Groups: always when the policy
 * allows it, otherwise only when the driver flagged a mention or the text contains "@botName"
 * (OCR cannot always see the mention flag, but it can read the name).
 */
export function shouldAnswerInGroup(
  ruleSet: Pick<RuleSet, 'groupPolicy'>,
  msg: GroupMessage,
): boolean {
  if (!msg.isGroup) return true
  if (!ruleSet.groupPolicy.answerOnlyWhenMentioned) return true
  return msg.mentioned || mentionsByName(ruleSet, msg.text)
}

/**
 * Removes "@botName" mentions so the rest of the message can be matched on its own
 * ("@小美 价格" → " 价格"). Other people's mentions are kept: they may be the subject.
 */
export function stripBotMentions(ruleSet: Pick<RuleSet, 'groupPolicy'>, text: string): string {
  if (!AT.test(text)) return text
  let out = text
  for (const name of ruleSet.groupPolicy.botNames) {
    // Names match literally (ignoring case) after an @ of either width.
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    out = out.replace(new RegExp(`[@＠]${escaped}[\\s\\u2005]*`, 'giu'), ' ')
  }
  return out
}
