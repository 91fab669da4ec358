/**
 * The offline answerer: when the cloud is unreachable, greetings and FAQs are answered from
 * the replicated FAQ and published rules with the same matcher module the cloud uses; the rest
 * waits for the cloud. It never answers a chat a person holds, nor a group message that does
 * not mention us.
 */
import {
  classifySmallTalk,
  createFaqMatcher,
  defaultRuleSet,
  filterSensitive,
  matchKeywordReply,
  parseRuleSet,
  SEND_AS_IS_CONFIDENCE,
  shouldAnswerInGroup,
  stripBotMentions,
  type FaqMatcher,
  type RuleSet,
} from '@kefu/match'
import type { Queryable } from '@kefu/migrations'

export interface LocalAnswer {
  text: string
  confidence: number
  sources: { kind: 'faq' | 'rule'; id: string }[]
}

export interface AnswererOptions {
  db: Queryable
  now: () => Date
  minConfidence?: number
}

const SMALL_TALK_REPLY = {
  greeting: '您好，请问有什么可以帮您？',
  thanks: '不客气，有需要随时找我们哦～',
  bye: '好的，祝您生活愉快，再见！',
  ack: '',
} as const

export interface Answerer {
  answer(m: { conversationId: string; isGroup: boolean; mentioned: boolean; text: string }): Promise<LocalAnswer | null>
  /** Re-reads FAQ and rules from the replica (after they sync). */
  refresh(): Promise<void>
}

export function createAnswerer(o: AnswererOptions): Answerer {
  let matcher: FaqMatcher | null = null
  let rules: RuleSet = defaultRuleSet()
  let rulesId = 'default'
  let loadedAt = 0
  const refresh = async () => {
    const faqs = await o.db.query<{ id: string; question: string; answer: string; variants: string[] }>(
      `SELECT id, question, answer, variants FROM faq WHERE published`,
    )
    matcher = createFaqMatcher(faqs)
    const r = await o.db.query<{ id: string; body: unknown }>(`SELECT id, body FROM rules WHERE status = 'published' ORDER BY version DESC LIMIT 1`)
    if (r[0]) {
      const parsed = parseRuleSet(r[0].body)
      if (parsed.ok) {
        rules = parsed.ruleSet
        rulesId = r[0].id
      }
    }
    loadedAt = Date.now()
  }
  return {
    refresh,
    async answer(m) {
      if (!matcher || Date.now() - loadedAt > 10_000) await refresh()
      const conv = await o.db.query<{ state: string; bot_paused_until: Date | null }>(
        `SELECT state, bot_paused_until FROM conversations_all WHERE id = $1::uuid`,
        [m.conversationId],
      )
      const c = conv[0]
      if (c && (c.state === 'waiting_human' || (c.state === 'human' && (!c.bot_paused_until || new Date(c.bot_paused_until) > o.now()))))
        return null
      if (!shouldAnswerInGroup(rules, { isGroup: m.isGroup, mentioned: m.mentioned, text: m.text })) return null
      const safe = (text: string) => {
        const f = filterSensitive(rules, text)
        return f.blocked ? null : f.text
      }
      const kw = matchKeywordReply(rules, m.text, { isGroup: m.isGroup })
      if (kw.matched) {
        const text = safe(kw.reply)
        return text ? { text, confidence: 1, sources: [{ kind: 'rule', id: `${rulesId}:${kw.rule.id}` }] } : null
      }
      // "@小美 你好" is a greeting: match what is said to us, as the cloud does.
      const query = m.isGroup ? stripBotMentions(rules, m.text).trim() : m.text
      const small = classifySmallTalk(query)
      if (small && SMALL_TALK_REPLY[small]) return { text: SMALL_TALK_REPLY[small], confidence: 1, sources: [] }
      const hit = matcher!.match(query)
      if (hit && hit.confidence >= (o.minConfidence ?? SEND_AS_IS_CONFIDENCE)) {
        const text = safe(hit.faq.answer)
        return text ? { text, confidence: hit.confidence, sources: [{ kind: 'faq', id: hit.faq.id }] } : null
      }
      return null
    },
  }
}
