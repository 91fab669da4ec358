/**
 * The offline answerer: when the cloud is unreachable, greetings and FAQs are answered from
 * the replicated FAQ and published rules with the same matcher module the cloud uses; the rest
 * waits for the cloud. It never answers a chat a person holds, nor a group message that does
 * not mention us, nor a message that trips one of the cloud's hand-off triggers.
 *
 * Hand-off triggers are the cloud's own (`detectHandoff` from @kefu/match, fed the rule set's
 * `handoff` and `businessHours`), checked at the same point of the answering order:
 *
 *   person holds the chat? ─ not addressed (group)? ─ hand-off triggers / after-hours notice
 *     ─ keyword rule ─ small talk ─ FAQ ─ low confidence → hand off ─ sensitive words
 *
 * A message that trips a trigger is left unanswered (`handoff`), so that on reconnect the
 * cloud's reply worker finds it and performs the hand-off itself: the cloud owns conversation
 * state, and the agent writes none for it. The inputs come from the replica: the customer's
 * earlier messages in this chat (`messages_all`, plus any read in the same poll and not written
 * yet) for the repeated question, and the customer's stored grade (`customers_all`) for VIP.
 * While an earlier message that asked for a person or complained still waits for the cloud, the
 * bot stays out of that chat: the cloud will hand it off, and answering meanwhile would talk
 * over the request.
 */
import {
  classifySmallTalk,
  createFaqMatcher,
  defaultRuleSet,
  detectHandoff,
  filterSensitive,
  matchKeywordReply,
  parseRuleSet,
  SEND_AS_IS_CONFIDENCE,
  shouldAnswerInGroup,
  SMALL_TALK_REPLY,
  stripBotMentions,
  type FaqMatcher,
  type HandoffInput,
  type HandoffTrigger,
  type RuleSet,
} from '@kefu/match'
import type { Queryable } from '@kefu/migrations'
import { Grade } from '@kefu/schema'

export interface LocalAnswer {
  text: string
  confidence: number
  sources: { kind: 'faq' | 'rule'; id: string }[]
}

/** A customer message of the same chat that came just before the one being answered. */
export interface EarlierMessage {
  readonly text: string
  readonly mentioned: boolean
  /** Whether it has been dealt with (answered here, by the cloud, or by a person). */
  readonly answered: boolean
}

/** One inbound message to decide on. */
export interface AnswerRequest {
  readonly conversationId: string
  readonly isGroup: boolean
  readonly mentioned: boolean
  readonly text: string
  /**
   * Customer messages of this chat read in the same poll before this one, oldest first: they
   * are not in the replica yet, but they are earlier messages all the same.
   */
  readonly earlier?: readonly EarlierMessage[]
}

/** Why the answerer leaves a message to the cloud without a hand-off trigger. */
export type WaitReason =
  /** A person holds the chat (waiting for one, or within their hold). */
  | 'person_holds'
  /** A group message not addressed to us. */
  | 'not_addressed'
  /** No rule, greeting or sure enough FAQ answers it (or it is an acknowledgement). */
  | 'no_answer'
  /** The answer would carry a sensitive word the rule set blocks. */
  | 'sensitive'
  /** Outside business hours and the after-hours notice is already the last thing we said. */
  | 'notice_sent'

/** What the answerer does with one message. Only `answer` is sent; the rest wait for the cloud. */
export type LocalDecision =
  | { readonly kind: 'answer'; readonly answer: LocalAnswer }
  /**
   * A hand-off trigger fired: left unanswered for the cloud to hand off on reconnect.
   * `earlier`: it fired on an earlier message of the chat that still waits for the cloud.
   */
  | {
      readonly kind: 'handoff'
      readonly reason: HandoffTrigger
      readonly reasons: readonly HandoffTrigger[]
      readonly earlier: boolean
    }
  | { readonly kind: 'wait'; readonly why: WaitReason }

export interface AnswererOptions {
  db: Queryable
  now: () => Date
  minConfidence?: number
}

/** Earlier customer messages read from the replica: enough for the largest `repeatWindow`. */
const RECENT_MESSAGES = 50

/** Triggers an earlier message keeps firing until the cloud acts: the customer's own words. */
const STICKY: readonly HandoffTrigger[] = ['keyword', 'complaint']

export interface Answerer {
  /** What to do with one inbound message while offline. */
  decide(m: AnswerRequest): Promise<LocalDecision>
  /** {@link Answerer.decide}, keeping only what is sent: the answer, or null. */
  answer(m: AnswerRequest): Promise<LocalAnswer | null>
  /** Re-reads FAQ and rules from the replica (after they sync). */
  refresh(): Promise<void>
}

const wait = (why: WaitReason): LocalDecision => ({ kind: 'wait', why })

export function createAnswerer(o: AnswererOptions): Answerer {
  let matcher: FaqMatcher | null = null
  let rules: RuleSet = defaultRuleSet()
  let rulesId = 'default'
  let loadedAt = 0
  const refresh = async () => {
    const faqs = await o.db.query<{
      id: string
      question: string
      answer: string
      variants: string[]
    }>(`SELECT id, question, answer, variants FROM faq WHERE published`)
    matcher = createFaqMatcher(faqs)
    const r = await o.db.query<{ id: string; body: unknown }>(
      `SELECT id, body FROM rules WHERE status = 'published' ORDER BY version DESC LIMIT 1`,
    )
    if (r[0]) {
      const parsed = parseRuleSet(r[0].body)
      if (parsed.ok) {
        rules = parsed.ruleSet
        rulesId = r[0].id
      }
    }
    loadedAt = Date.now()
  }

  /** The customer's earlier text messages in this chat, oldest first (replica, then this poll). */
  const earlierMessages = async (m: AnswerRequest): Promise<EarlierMessage[]> => {
    const rows = await o.db.query<{ text: string; mentioned: boolean; answered_by: string | null }>(
      `SELECT text, mentioned, answered_by FROM messages_all
        WHERE conversation_id = $1::uuid AND direction = 'in' AND kind = 'text'
        ORDER BY captured_at DESC, created_at DESC LIMIT $2`,
      [m.conversationId, RECENT_MESSAGES],
    )
    const stored = rows
      .reverse()
      .map((r) => ({ text: r.text, mentioned: r.mentioned, answered: r.answered_by !== null }))
    return [...stored, ...(m.earlier ?? [])].slice(-RECENT_MESSAGES)
  }

  const decide = async (m: AnswerRequest): Promise<LocalDecision> => {
    if (!matcher || Date.now() - loadedAt > 10_000) await refresh()
    const now = o.now()
    // The customer as the cloud finds it: by `customer_id`, or for a direct chat without one,
    // the agent's contact of the same name.
    const conv = await o.db.query<{
      state: string
      bot_paused_until: Date | null
      grade: string | null
    }>(
      `SELECT c.state, c.bot_paused_until,
              (SELECT cu.grade FROM customers_all cu
                WHERE cu.id = coalesce(c.customer_id,
                  (SELECT x.id FROM customers_all x WHERE c.kind = 'direct' AND x.agent_id = c.agent_id
                      AND x.display_name = c.title LIMIT 1))) AS grade
         FROM conversations_all c WHERE c.id = $1::uuid`,
      [m.conversationId],
    )
    const c = conv[0]
    if (
      c &&
      (c.state === 'waiting_human' ||
        (c.state === 'human' && (!c.bot_paused_until || new Date(c.bot_paused_until) > now)))
    )
      return wait('person_holds')
    const addressed = (x: { text: string; mentioned: boolean }) =>
      shouldAnswerInGroup(rules, { isGroup: m.isGroup, mentioned: x.mentioned, text: x.text })
    // "@小美 你好" is a greeting: match what is said to us, as the cloud does.
    const said = (text: string) => (m.isGroup ? stripBotMentions(rules, text).trim() : text)
    if (!addressed(m)) return wait('not_addressed')
    const query = said(m.text)

    const earlier = await earlierMessages(m)
    const base: HandoffInput = {
      text: query,
      recentCustomerTexts: earlier.map((e) => e.text),
      grade: Grade.find((g) => g === c?.grade) ?? null,
      now,
      businessHours: rules.businessHours,
      cfg: rules.handoff,
    }
    const pre = detectHandoff(base)
    if (pre.handoff)
      return { kind: 'handoff', reason: pre.reason, reasons: pre.reasons, earlier: false }
    // An earlier request for a person (or complaint) still waits for the cloud, which will hand
    // the chat off: answering meanwhile would talk over it. In a group, only what was said to
    // us counts; other members' chatter is not a request.
    for (const e of earlier) {
      if (e.answered || !addressed(e)) continue
      const d = detectHandoff({ ...base, text: said(e.text), recentCustomerTexts: [] })
      const sticky = d.handoff ? d.reasons.filter((r) => STICKY.includes(r)) : []
      const [reason] = sticky
      if (reason !== undefined) return { kind: 'handoff', reason, reasons: sticky, earlier: true }
    }

    // The last checks on an outgoing answer, as the cloud's: its confidence, then sensitive words.
    const finish = (a: LocalAnswer): LocalDecision => {
      const post = detectHandoff({ ...base, confidence: a.confidence })
      if (post.handoff)
        return { kind: 'handoff', reason: post.reason, reasons: post.reasons, earlier: false }
      const f = filterSensitive(rules, a.text)
      return f.blocked ? wait('sensitive') : { kind: 'answer', answer: { ...a, text: f.text } }
    }
    if (pre.afterHoursNotice !== null) {
      const [last] = await o.db.query<{ text: string }>(
        `SELECT text FROM replies_all WHERE conversation_id = $1::uuid AND status <> 'cancelled'
          ORDER BY created_at DESC LIMIT 1`,
        [m.conversationId],
      )
      if (last?.text === pre.afterHoursNotice) return wait('notice_sent')
      return finish({
        text: pre.afterHoursNotice,
        confidence: 1,
        sources: [{ kind: 'rule', id: `${rulesId}:after_hours` }],
      })
    }

    const kw = matchKeywordReply(rules, m.text, { isGroup: m.isGroup })
    if (kw.matched)
      return finish({
        text: kw.reply,
        confidence: 1,
        sources: [{ kind: 'rule', id: `${rulesId}:${kw.rule.id}` }],
      })
    const small = classifySmallTalk(query)
    if (small === 'ack') return wait('no_answer')
    if (small) return finish({ text: SMALL_TALK_REPLY[small], confidence: 1, sources: [] })
    const hit = matcher!.match(query)
    if (hit && hit.confidence >= (o.minConfidence ?? SEND_AS_IS_CONFIDENCE))
      return finish({
        text: hit.faq.answer,
        confidence: hit.confidence,
        sources: [{ kind: 'faq', id: hit.faq.id }],
      })
    return wait('no_answer')
  }

  return {
    refresh,
    decide,
    async answer(m) {
      const d = await decide(m)
      return d.kind === 'answer' ? d.answer : null
    },
  }
}
