/** Rule-set schema and pure evaluation, shared by the cloud pipeline and the offline agent. */
export {
  BusinessHours,
  DEFAULT_COMPLAINT_WORDS,
  DEFAULT_HANDOFF_EXACT,
  DEFAULT_HANDOFF_KEYWORDS,
  DEFAULT_NEGATIONS,
  GroupPolicy,
  HandoffRules,
  KeywordReply,
  OpeningHours,
  RuleSetBody,
  defaultRuleSet,
  parseRuleSet,
} from './rule-set.ts'
export type { ParseRuleSetResult, RuleSet, RuleSetInput } from './rule-set.ts'
export { matchKeywordReply } from './keyword-reply.ts'
export type { KeywordReplyMatch } from './keyword-reply.ts'
export { filterSensitive } from './sensitive.ts'
export type { SensitiveResult } from './sensitive.ts'
export { shouldAnswerInGroup, stripBotMentions } from './group-policy.ts'
export type { GroupMessage } from './group-policy.ts'
export { isOpen, isWithinBusinessHours, localTime } from './business-hours.ts'
export type { LocalTime } from './business-hours.ts'
export { createKeywordScanner, outermostHits } from './keyword-scanner.ts'
export type { KeywordHit, KeywordScanner } from './keyword-scanner.ts'
export { foldBare, foldRuleText, foldWithMap } from './text.ts'
export type { FoldedText } from './text.ts'
export { HandoffTrigger, bigramJaccard, detectHandoff } from './handoff.ts'
export type { HandoffDecision, HandoffInput } from './handoff.ts'
