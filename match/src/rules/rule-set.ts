/**
 * The published rule-set body (`rules.body` jsonb): keyword replies, the sensitive-word filter,
 * group-chat policy, business hours and hand-off triggers. Every field has a default, so `{}` is
 * a valid body and an old body keeps parsing when a field is added.
 */
import { z } from 'zod'
import { Grade } from '@kefu/schema'

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$/
const DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

const word = z.string().trim().min(1).max(100)

/** One keyword → canned reply rule. */
export const KeywordReply = z.object({
  id: z.string().min(1).max(100),
  keywords: z.array(word).min(1).max(100),
  /** `any`: one keyword occurs; `all`: every keyword occurs; `exact`: the message is a keyword. */
  match: z.enum(['any', 'all', 'exact']).default('any'),
  reply: z.string().trim().min(1).max(5_000),
  /** Higher wins; ties go to the rule listed first. */
  priority: z.number().int().min(-1_000).max(1_000).default(0),
  /** Whether the rule also fires in group chats (still subject to the group policy). */
  groups: z.boolean().default(true),
})
/** A parsed keyword-reply rule (defaults filled in). */
export type KeywordReply = z.output<typeof KeywordReply>

/** One opening window. `close` ≤ `open` means the window runs past midnight. */
export const OpeningHours = z
  .object({
    day: z.number().int().min(0).max(6), // 0 = Sunday, as Date#getDay
    open: z.string().regex(HHMM),
    // '24:00' closes at midnight; an `open` of '24:00' would be meaningless, so only close has it.
    close: z.string().regex(HHMM).or(z.literal('24:00')),
  })
  .refine((d) => d.open !== d.close, { message: 'open and close must differ' })

const WEEKDAYS_9_TO_21 = [0, 1, 2, 3, 4, 5, 6].map((day) => ({
  day,
  open: '09:00',
  close: '21:00',
}))

/** Business hours and what to do outside them. */
export const BusinessHours = z.object({
  timezone: z.string().refine(isTimeZone, 'unknown IANA time zone').default('Asia/Shanghai'),
  days: z
    .array(OpeningHours)
    .max(100)
    .default(() => WEEKDAYS_9_TO_21.map((d) => ({ ...d }))),
  /** Local dates (YYYY-MM-DD) on which the business is closed all day. */
  holidays: z
    .array(z.string().regex(DATE))
    .max(1_000)
    .default(() => []),
  afterHoursReply: z
    .string()
    .trim()
    .min(1)
    .max(1_000)
    .default('您好，现在是非工作时间，客服上班后会第一时间回复您。'),
  /** Outside hours — `handoff`: queue for a person; `notice`: send `afterHoursReply`;
   *  `answer`: the bot answers as usual. */
  afterHoursAction: z.enum(['handoff', 'notice', 'answer']).default('notice'),
})
/** Parsed business hours. */
export type BusinessHours = z.output<typeof BusinessHours>

/** Default explicit requests for a person. Bare "人工" is only an exact-message keyword, because
 *  "人工费多少" (labour cost) is a common question in repair and service trades. */
export const DEFAULT_HANDOFF_KEYWORDS = [
  '转人工', '人工客服', '人工服务', '找人工', '要人工', '接人工', '真人', '活人',
  '找客服', '叫客服', '找经理', '叫经理', '你们经理', '找主管', '你们领导',
] // prettier-ignore

/** Default whole-message hand-off requests. */
export const DEFAULT_HANDOFF_EXACT = ['人工', '客服', '转接', 'human', 'agent'] // prettier-ignore

/** Default complaint and anger words. */
export const DEFAULT_COMPLAINT_WORDS = [
  '投诉', '差评', '骗子', '骗人', '欺诈', '退款不给', '不给退款', '不退款', '太差', '垃圾',
  '举报', '12315', '消协', '消费者协会', '工商局', '曝光', '起诉', '律师', '报警', '维权',
  '黑心', '坑人',
] // prettier-ignore

/** Words that, right before a hand-off keyword, turn it into a refusal ("不用转人工了"). A lone
 *  "别" is left out: "有没有别的真人客服" would read as a refusal. */
export const DEFAULT_NEGATIONS = ['不用', '不要', '不需要', '无需', '不必', '没必要', '不找'] // prettier-ignore

/** Hand-off triggers (evaluated by `detectHandoff`, in the cloud and the offline agent). */
export const HandoffRules = z.object({
  keywords: z
    .array(word)
    .max(1_000)
    .default(() => [...DEFAULT_HANDOFF_KEYWORDS]),
  exactKeywords: z
    .array(word)
    .max(1_000)
    .default(() => [...DEFAULT_HANDOFF_EXACT]),
  complaintWords: z
    .array(word)
    .max(5_000)
    .default(() => [...DEFAULT_COMPLAINT_WORDS]),
  negations: z
    .array(word)
    .max(100)
    .default(() => [...DEFAULT_NEGATIONS]),
  /** How far (in folded characters) before a hand-off keyword a negation still counts. */
  negationGap: z.number().int().min(0).max(10).default(2),
  vipGrades: z
    .array(z.enum(Grade))
    .max(4)
    .default(() => ['A' as const]),
  /** Hand off when the answer's confidence is below this (0..1). */
  lowConfidence: z.number().min(0).max(1).default(0.4),
  /** How many previous customer messages a repeated question is compared with (0 = off). */
  repeatWindow: z.number().int().min(0).max(50).default(5),
  /** Character-bigram Jaccard similarity at which two messages count as the same question. */
  repeatSimilarity: z.number().min(0).max(1).default(0.8),
  /** Shorter messages ("好的", "在吗") are never a repeated question. */
  repeatMinLength: z.number().int().min(1).max(100).default(4),
})
/** Parsed hand-off rules. */
export type HandoffRules = z.output<typeof HandoffRules>

/** Group-chat policy. */
export const GroupPolicy = z.object({
  answerOnlyWhenMentioned: z.boolean().default(true),
  /** Names the bot's WeChat account goes by in groups; "@name" in the text counts as a mention. */
  botNames: z
    .array(word)
    .max(20)
    .default(() => []),
})
/** Parsed group policy. */
export type GroupPolicy = z.output<typeof GroupPolicy>

/** The whole published rule-set body. */
export const RuleSetBody = z
  .object({
    keywordReplies: z
      .array(KeywordReply)
      .max(5_000)
      .default(() => []),
    sensitiveWords: z
      .array(word)
      .max(50_000)
      .default(() => []),
    /** One character masks each hidden character; a longer string replaces each hit whole. */
    sensitiveReplacement: z.string().min(1).max(20).default('＊'),
    /** `block`: the worker refuses to send a reply with hits; `mask`: it sends the masked text. */
    sensitiveAction: z.enum(['block', 'mask']).default('block'),
    groupPolicy: GroupPolicy.prefault({}),
    businessHours: BusinessHours.prefault({}),
    handoff: HandoffRules.prefault({}),
  })
  .superRefine((body, ctx) => {
    // Ids name rules in reply sources and analytics; two rules with one id would be confused.
    const seen = new Set<string>()
    body.keywordReplies.forEach((r, i) => {
      if (seen.has(r.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['keywordReplies', i, 'id'],
          message: `duplicate rule id "${r.id}"`,
        })
      }
      seen.add(r.id)
    })
  })
/** A parsed rule set. Treat it as immutable: compiled matchers are cached per object. */
export type RuleSet = z.output<typeof RuleSetBody>
/** What an editor may store (every field optional). */
export type RuleSetInput = z.input<typeof RuleSetBody>

/** A fresh rule set with every default. */
export function defaultRuleSet(): RuleSet {
  return RuleSetBody.parse({})
}

/** Parse outcome: the rule set, or a message an editor can act on. */
export type ParseRuleSetResult =
  | { readonly ok: true; readonly ruleSet: RuleSet }
  | { readonly ok: false; readonly message: string }

/** Validates a stored or submitted body, filling defaults. Never throws. */
export function parseRuleSet(body: unknown): ParseRuleSetResult {
  const r = RuleSetBody.safeParse(body)
  if (r.success) return { ok: true, ruleSet: r.data }
  return { ok: false, message: z.prettifyError(r.error) }
}
