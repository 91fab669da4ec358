/**
 * Hand-off triggers: when should a person, not the bot, answer this customer? Pure; the rule
 * set's `handoff` and `businessHours` sections come in, a decision goes out. The cloud turns a
 * `handoff: true` into a `handoff_requested` event for the conversation state machine; the
 * offline agent, which owns no conversation state, leaves such a message unanswered so that the
 * cloud sees it on reconnect and hands off itself. One function for both keeps them agreeing.
 *
 * Decisions on negation (see the tests in cloud/src/pipeline/handoff.test.ts):
 * - An explicit request for a person is ignored when a negation sits right before it
 *   ("不用转人工了", "不需要人工客服"): the customer is declining, and a bare "不用人工了" matches no
 *   keyword at all, because bare "人工" only counts as the whole message.
 * - Complaint words hand off even when negated ("我不投诉，但是要退款"): a customer who brings up
 *   投诉 is in a dispute either way, a person looking at it costs little, and a bot arguing with an
 *   angry customer costs a lot.
 */
import type { Grade } from '@kefu/schema'
import { isOpen } from './business-hours.ts'
import { createKeywordScanner, outermostHits } from './keyword-scanner.ts'
import type { KeywordHit, KeywordScanner } from './keyword-scanner.ts'
import type { BusinessHours, HandoffRules } from './rule-set.ts'
import { foldBare, foldRuleText } from './text.ts'

/**
 * Every trigger {@link detectHandoff} knows. The cloud's hand-off reasons are these plus the
 * ones no text can trigger (a person in the console asking for the chat).
 */
export const HandoffTrigger = [
  'keyword',
  'complaint',
  'repeated_question',
  'low_confidence',
  'vip',
  'after_hours',
] as const
/** One of {@link HandoffTrigger}. */
export type HandoffTrigger = (typeof HandoffTrigger)[number]

/** What {@link detectHandoff} looks at. */
export interface HandoffInput {
  /** The customer's new message (debounced fragments joined). */
  readonly text: string
  /** Earlier customer messages in this conversation, oldest first, not including `text`. */
  readonly recentCustomerTexts: readonly string[]
  /** Confidence of the answer the bot would give; null or absent before one exists. */
  readonly confidence?: number | null
  readonly grade: Grade | null
  readonly now: Date
  readonly businessHours: BusinessHours
  readonly cfg: HandoffRules
}

/** The verdict. `reason` is the most telling of `reasons`, which lists every trigger that fired. */
export type HandoffDecision =
  | {
      readonly handoff: true
      readonly reason: HandoffTrigger
      readonly reasons: readonly HandoffTrigger[]
      readonly afterHours: boolean
    }
  | {
      readonly handoff: false
      readonly afterHours: boolean
      /** Outside hours with `afterHoursAction: 'notice'`: send this instead of an answer. */
      readonly afterHoursNotice: string | null
    }

// Rule sets are parsed once and then shared; compile each word list once per array.
const scanners = new WeakMap<readonly string[], KeywordScanner>()
function scannerFor(words: readonly string[]): KeywordScanner {
  let s = scanners.get(words)
  if (s === undefined) scanners.set(words, (s = createKeywordScanner(words)))
  return s
}

/** Character bigrams of `bare` text; a one-character text is its own single "bigram". */
function bigrams(bare: string): Set<string> {
  const cps = [...bare]
  if (cps.length < 2) return new Set(cps)
  const out = new Set<string>()
  for (let i = 0; i + 1 < cps.length; i++) out.add(cps[i] + cps[i + 1])
  return out
}

/**
 * Jaccard similarity of the character bigrams of two texts after folding and dropping
 * punctuation. Bigrams suit Chinese, which has no spaces, and shrug off OCR's odd character.
 */
export function bigramJaccard(a: string, b: string): number {
  const x = bigrams(foldBare(a))
  const y = bigrams(foldBare(b))
  if (x.size === 0 || y.size === 0) return 0
  let both = 0
  for (const g of x) if (y.has(g)) both++
  return both / (x.size + y.size - both)
}

const CLAUSE_BREAK = /[\p{P}\p{S}]/u

/**
 * A negation counts when it starts before the keyword and ends at most `gap` characters before
 * it, within the same clause. It may overlap the keyword: in "不需要人工", "要人工" starts inside
 * "不需要". A punctuation mark ends its reach: "不用了，转人工" is a request.
 */
function isNegated(
  folded: string,
  hit: KeywordHit,
  negations: readonly KeywordHit[],
  gap: number,
): boolean {
  return negations.some(
    (n) =>
      n.start < hit.start &&
      hit.start - n.end <= gap &&
      !CLAUSE_BREAK.test(folded.slice(n.end, hit.start)),
  )
}

function asksForHuman(folded: string, bare: string, cfg: HandoffRules): boolean {
  if (bare.length > 0 && cfg.exactKeywords.some((k) => foldBare(k) === bare)) return true
  // Outermost only: in "不用转人工", "人工" alone must not escape the negation of "转人工".
  const hits = outermostHits(scannerFor(cfg.keywords).scan(folded))
  if (hits.length === 0) return false
  const negations = scannerFor(cfg.negations).scan(folded)
  return hits.some((h) => !isNegated(folded, h, negations, cfg.negationGap))
}

function isRepeated(
  text: string,
  bare: string,
  recent: readonly string[],
  cfg: HandoffRules,
): boolean {
  if (cfg.repeatWindow === 0 || [...bare].length < cfg.repeatMinLength) return false
  return recent.slice(-cfg.repeatWindow).some((p) => bigramJaccard(text, p) >= cfg.repeatSimilarity)
}

/**
 * Decides whether this message should go to a person. Triggers, most telling first: complaint
 * words, an explicit request, a VIP grade, the same question asked again, a low-confidence
 * answer, and being outside business hours (when the rule set says to hand off then).
 */
export function detectHandoff(input: HandoffInput): HandoffDecision {
  const { text, cfg } = input
  const folded = foldRuleText(text)
  const bare = foldBare(text)
  const afterHours = !isOpen(input.businessHours, input.now)

  const reasons: HandoffTrigger[] = []
  if (scannerFor(cfg.complaintWords).scan(folded).length > 0) reasons.push('complaint')
  if (asksForHuman(folded, bare, cfg)) reasons.push('keyword')
  if (input.grade !== null && cfg.vipGrades.includes(input.grade)) reasons.push('vip')
  if (isRepeated(text, bare, input.recentCustomerTexts, cfg)) reasons.push('repeated_question')
  const c = input.confidence
  if (typeof c === 'number' && c < cfg.lowConfidence) reasons.push('low_confidence')
  const action = input.businessHours.afterHoursAction
  if (afterHours && action === 'handoff') reasons.push('after_hours')

  const [reason] = reasons
  if (reason !== undefined) return { handoff: true, reason, reasons, afterHours }
  const afterHoursNotice =
    afterHours && action === 'notice' ? input.businessHours.afterHoursReply : null
  return { handoff: false, afterHours, afterHoursNotice }
}
