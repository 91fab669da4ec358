/**
 * Deciding what to do with a customer's (debounced) message. Cheapest and surest first:
 *
 *   silent chat? ─ not addressed (group)? ─ hand-off triggers / after-hours notice
 *     ─ keyword rule ─ small talk ─ FAQ fast path (curated answer as is)
 *     ─ retrieval ─┬─ LLM configured: grounded answer, or hand off when retrieval is weak or
 *                  │  the model says it does not know; if every provider fails ─┐
 *                  └─ no LLM: the best FAQ answer or passage, if retrieval is sure ◀─┘
 *     ─ low confidence → hand off ─ sensitive words in the outgoing text → hand off (block)
 *
 * Returns a decision; writes nothing. The commit re-checks the conversation state, so a
 * decision composed just before a takeover is dropped there.
 */
import {
  classifySmallTalk,
  filterSensitive,
  matchKeywordReply,
  shouldAnswerInGroup,
  SMALL_TALK_REPLY,
  stripBotMentions,
} from '@kefu/match'
import type { Queryable } from '@kefu/migrations'
import type { Grade, ReplySource } from '@kefu/schema'
import type { LlmGateway } from '../llm/gateway.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Retriever, SearchHit } from '../rag/search.ts'
import { canBotReply } from './conversation-state.ts'
import { extractPassage } from './extract-passage.ts'
import { detectHandoff, type HandoffInput } from './handoff.ts'
import { buildReplyRequest, isNotConfident } from './reply-prompt.ts'
import type { LoadedRules } from './rule-cache.ts'
import type { ConversationContext, PendingMessage, ReplyDecision } from './reply-types.ts'

/** Score thresholds of the answering order. */
export interface AnswerThresholds {
  /** Below this top retrieval score the LLM is not asked: hand off; default 0.2. */
  readonly llmMinScore: number
  /** Without an LLM, the best hit is sent only at or above this score; default 0.45. */
  readonly extractiveMinScore: number
  /** Passages given to the LLM; default 4. */
  readonly passages: number
}

/**
 * Defaults, from the bench dataset (bench/data, lexical embedder): a top hit scoring ≥ 0.45 is
 * the right entry 91% of the time and no out-of-scope question reaches it; ≥ 0.2 keeps 83% of
 * real questions for the model while most out-of-scope ones fall below.
 */
export const defaultAnswerThresholds: AnswerThresholds = {
  llmMinScore: 0.2,
  extractiveMinScore: 0.45,
  passages: 4,
}

/** Dependencies of {@link composeReply}. */
export interface ComposeDeps {
  readonly db: Queryable
  readonly retriever: Retriever
  /** Null: no provider configured — answer extractively, hand off the rest. */
  readonly gateway: LlmGateway | null
  readonly metrics: Metrics
  readonly logger: Logger
  readonly thresholds: AnswerThresholds
}

/** One batch of fragments to decide on. */
export interface ComposeInput {
  readonly conversation: ConversationContext
  readonly messages: readonly PendingMessage[]
  readonly rules: LoadedRules
  readonly grade: Grade | null
  readonly now: Date
  readonly signal?: AbortSignal
}

const handoff = (reason: 'low_confidence', detail: string): ReplyDecision => ({
  kind: 'handoff',
  reason,
  detail,
})

/** Confidence of a grounded LLM answer: rises with the best passage's score. */
export function llmConfidence(topScore: number): number {
  return Math.round((0.5 + 0.5 * Math.min(1, topScore / 0.6)) * 1000) / 1000
}

const sourceOf = (h: SearchHit): ReplySource =>
  h.faqId
    ? { kind: 'faq', id: h.faqId, score: round(h.score) }
    : { kind: 'kb', id: h.chunkId, score: round(h.score) }

const round = (x: number) => Math.round(x * 1000) / 1000

/** Decides on one batch (see the module comment). */
export async function composeReply(deps: ComposeDeps, input: ComposeInput): Promise<ReplyDecision> {
  const { conversation: conv, rules, now } = input
  const { ruleSet } = rules
  if (!canBotReply(conv.snapshot, now)) return { kind: 'skip', why: 'bot_silent' }

  const texts = input.messages.filter((m) => m.kind === 'text' && m.text.trim() !== '')
  if (texts.length === 0) {
    // A photo or a voice note needs a person's eyes; system lines need nobody.
    const media = input.messages.some((m) => m.kind !== 'system')
    return media ? handoff('low_confidence', 'media') : { kind: 'skip', why: 'not_text' }
  }
  const isGroup = conv.kind === 'group'
  const joined = texts.map((m) => m.text.trim()).join('\n')
  const mentioned = texts.some((m) => m.mentioned)
  if (!shouldAnswerInGroup(ruleSet, { isGroup, mentioned, text: joined }))
    return { kind: 'skip', why: 'not_addressed' }
  const query = isGroup ? stripBotMentions(ruleSet, joined).trim() : joined

  const recentCustomerTexts = conv.history.filter((t) => t.role === 'customer').map((t) => t.text)
  const base: HandoffInput = {
    text: query,
    recentCustomerTexts,
    grade: input.grade,
    now,
    businessHours: ruleSet.businessHours,
    cfg: ruleSet.handoff,
  }
  const pre = detectHandoff(base)
  if (pre.handoff) return { kind: 'handoff', reason: pre.reason, detail: pre.reasons.join(',') }
  const done: Finish = (reply) => finish(deps, input, base, reply)
  if (pre.afterHoursNotice !== null) {
    const last = conv.history.filter((t) => t.role === 'bot').at(-1)
    if (last?.text === pre.afterHoursNotice) return { kind: 'skip', why: 'notice_sent' }
    return done({
      kind: 'reply',
      text: pre.afterHoursNotice,
      origin: 'rule',
      confidence: 1,
      sources: [{ kind: 'rule', id: `${rules.id}:after_hours` }],
      via: 'after_hours',
    })
  }

  const kw = matchKeywordReply(ruleSet, joined, { isGroup })
  if (kw.matched)
    return done({
      kind: 'reply',
      text: kw.reply,
      origin: 'rule',
      confidence: 1,
      sources: [{ kind: 'rule', id: `${rules.id}:${kw.rule.id}`.slice(0, 100) }],
      via: 'keyword',
    })

  const small = classifySmallTalk(query)
  if (small === 'ack') return { kind: 'skip', why: 'acknowledgement' }
  if (small !== null)
    return done({
      kind: 'reply',
      text: SMALL_TALK_REPLY[small],
      origin: 'rule',
      confidence: 1,
      sources: [{ kind: 'rule', id: `small_talk:${small}` }],
      via: 'small_talk',
    })

  const fast = await deps.retriever.faqFastPath(query)
  if (fast)
    return done({
      kind: 'reply',
      text: fast.faq.answer,
      origin: 'faq',
      confidence: round(fast.confidence),
      sources: [{ kind: 'faq', id: fast.faq.id, score: round(fast.confidence) }],
      via: 'faq_fast_path',
    })

  const hits = await deps.retriever.search(query, { k: Math.max(5, deps.thresholds.passages) })
  const top = hits[0]?.score ?? 0
  if (deps.gateway) {
    if (top < deps.thresholds.llmMinScore) return handoff('low_confidence', 'weak_retrieval')
    const answer = await askModel(deps, input, { query, hits, top, done })
    if (answer !== null) return answer
    // Every provider failed: the knowledge base may still hold the answer.
  }
  return extractive(deps, query, hits, done)
}

type Reply = Extract<ReplyDecision, { kind: 'reply' }>
type Finish = (reply: Reply) => ReplyDecision

async function askModel(
  deps: ComposeDeps,
  input: ComposeInput,
  r: { query: string; hits: readonly SearchHit[]; top: number; done: Finish },
): Promise<ReplyDecision | null> {
  const gateway = deps.gateway!
  const used = r.hits.slice(0, deps.thresholds.passages)
  const c = input.conversation.customer
  const req = buildReplyRequest({
    query: r.query,
    passages: used,
    customer: c ? { name: c.name, grade: input.grade, tags: c.tags } : null,
    history: input.conversation.history,
    messageId: input.messages[0]!.id,
    ...(input.signal ? { signal: input.signal } : {}),
  })
  const res = await gateway.complete(req)
  deps.metrics.aiRequestDuration
    .labels(res.ok ? res.provider : 'none', res.ok ? 'ok' : 'failed')
    .observe(res.latencyMs / 1000)
  if (!res.ok) {
    if (input.signal?.aborted) throw new Error('reply aborted', { cause: input.signal.reason })
    deps.logger.warn(
      {
        conversation_id: input.conversation.id,
        errors: res.errors.map((e) => `${e.provider}:${e.kind}`),
      },
      'no LLM provider answered; falling back to the knowledge base',
    )
    return null
  }
  if (isNotConfident(res.text)) return handoff('low_confidence', 'model_unsure')
  return r.done({
    kind: 'reply',
    text: res.text.trim(),
    origin: 'cloud_ai',
    confidence: llmConfidence(r.top),
    sources: used.map(sourceOf),
    via: 'llm',
  })
}

async function extractive(
  deps: ComposeDeps,
  query: string,
  hits: readonly SearchHit[],
  done: Finish,
): Promise<ReplyDecision> {
  const best = hits[0]
  if (!best || best.score < deps.thresholds.extractiveMinScore)
    return handoff('low_confidence', 'weak_retrieval')
  let text = extractPassage(query, best.text)
  if (best.faqId) {
    const [faq] = await deps.db.query<{ answer: string }>(
      `SELECT answer FROM faq WHERE id = $1::uuid AND published`,
      [best.faqId],
    )
    if (!faq) return handoff('low_confidence', 'weak_retrieval')
    text = faq.answer
  }
  return done({
    kind: 'reply',
    text: text.trim(),
    origin: best.faqId ? 'faq' : 'cloud_ai',
    confidence: round(best.score),
    sources: [sourceOf(best)],
    via: 'extractive',
  })
}

/** The last checks on an outgoing reply: its confidence (hand-off rules) and sensitive words. */
function finish(
  deps: ComposeDeps,
  input: ComposeInput,
  base: HandoffInput,
  reply: Reply,
): ReplyDecision {
  const { ruleSet } = input.rules
  const post = detectHandoff({ ...base, confidence: reply.confidence })
  if (post.handoff) return { kind: 'handoff', reason: post.reason, detail: reply.via }
  const filtered = filterSensitive(ruleSet, reply.text)
  if (filtered.blocked) {
    deps.logger.info(
      { conversation_id: input.conversation.id, words: filtered.hits.length, via: reply.via },
      'reply held back by the sensitive-word filter; handing off',
    )
    return handoff('low_confidence', 'sensitive_words')
  }
  return { ...reply, text: filtered.text }
}
