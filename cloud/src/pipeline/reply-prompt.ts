/**
 * The LLM request for one customer turn: a system prompt holding the retrieved passages and the
 * customer's profile, the last turns of the conversation, and the customer's (debounced) message.
 * The model is told to answer only from the passages and to say {@link HANDOFF_MARK} otherwise;
 * {@link isNotConfident} reads that, and the usual ways models admit they do not know, as a
 * request to hand the chat to a person.
 */
import type { Grade } from '@kefu/schema'
import type { LlmMessage, LlmRequest } from '../llm/types.ts'

/** What the model answers when the passages do not hold the answer. */
export const HANDOFF_MARK = '[转人工]'

/** One earlier turn of the conversation, oldest first. */
export interface Turn {
  /** `customer` wrote it; `staff` is a person on our side, `bot` a reply of ours. */
  readonly role: 'customer' | 'staff' | 'bot'
  readonly text: string
}

/** A retrieved passage to ground the answer in. */
export interface Passage {
  readonly text: string
}

/** The customer as the prompt describes them. */
export interface PromptCustomer {
  readonly name: string | null
  readonly grade: Grade | null
  readonly tags: readonly string[]
}

/** Inputs of {@link buildReplyRequest}. */
export interface ReplyPromptInput {
  readonly query: string
  readonly passages: readonly Passage[]
  readonly customer: PromptCustomer | null
  readonly history: readonly Turn[]
  /** The first message answered, for `llm_calls.message_id`. */
  readonly messageId: string
  /** How many earlier turns to include; default 6. */
  readonly maxTurns?: number
  readonly signal?: AbortSignal
}

const GRADE_NOTE: Readonly<Record<Grade, string>> = {
  A: 'A（重要客户，请格外耐心周到）',
  B: 'B（老客户）',
  C: 'C',
  D: 'D',
}

/** The system prompt: rules, customer profile, numbered passages. */
export function systemPrompt(
  passages: readonly Passage[],
  customer: PromptCustomer | null,
): string {
  const lines = [
    '你是一家店铺的微信客服，用简体中文回答客户。',
    '规则：',
    '1. 只依据下面“资料”中的内容回答，不要编造价格、政策、时效或任何承诺。',
    `2. 资料里找不到答案，或者问题需要人工处理（投诉、纠纷、修改订单等），只回复：${HANDOFF_MARK}`,
    '3. 语气亲切、简洁，一般不超过120字；不要提到“资料”这两个字。',
  ]
  if (customer) {
    const parts = [
      customer.name ? `称呼：${customer.name}` : '',
      customer.grade ? `等级：${GRADE_NOTE[customer.grade]}` : '',
      customer.tags.length > 0 ? `标签：${customer.tags.join('、')}` : '',
    ].filter(Boolean)
    if (parts.length > 0) lines.push('', `客户信息：${parts.join('；')}`)
  }
  lines.push('', '资料：')
  if (passages.length === 0) lines.push('（无）')
  passages.forEach((p, i) => lines.push(`[${i + 1}] ${p.text.trim()}`))
  return lines.join('\n')
}

/**
 * Turns earlier messages into alternating user/assistant messages ending with the customer's
 * new message. Same-role neighbours are merged (some providers insist on alternation) and a
 * leading assistant turn is dropped (the first message must be the user's).
 */
export function conversationMessages(
  history: readonly Turn[],
  query: string,
  maxTurns: number,
): LlmMessage[] {
  const out: { role: 'user' | 'assistant'; content: string }[] = []
  const push = (role: 'user' | 'assistant', content: string) => {
    const text = content.trim()
    if (text === '') return
    const last = out[out.length - 1]
    if (last && last.role === role) last.content += `\n${text}`
    else out.push({ role, content: text })
  }
  for (const t of history.slice(-maxTurns))
    push(t.role === 'customer' ? 'user' : 'assistant', t.text)
  push('user', query)
  while (out.length > 0 && out[0]!.role === 'assistant') out.shift()
  return out
}

/** The gateway request answering `query`. */
export function buildReplyRequest(input: ReplyPromptInput): LlmRequest {
  return {
    system: systemPrompt(input.passages, input.customer),
    messages: conversationMessages(input.history, input.query, input.maxTurns ?? 6),
    maxTokens: 400,
    temperature: 0.3,
    purpose: 'reply',
    messageId: input.messageId,
    ...(input.signal ? { signal: input.signal } : {}),
  }
}

// Ways models say they cannot answer, besides the mark they were asked for. Anchored at the
// start where a phrase also occurs in real answers ("如果您不清楚尺码，……").
const UNSURE = [
  /转人工/,
  /^(?:很?抱歉|对不起|不好意思)?[，,、\s]*(?:我|目前|暂时)*(?:不太?|无法|没法|没办法)(?:确定|清楚|知道|回答)/,
  /(?:没有|未)(?:找到|查到)?(?:相关|这方面)的?(?:信息|资料|内容)/,
  /^(?:sorry,?\s*)?I\s+(?:don't|do not|cannot|can't)\s+(?:know|answer|help)/i,
]

/** Whether the model declined or admitted it does not know (hand off instead of sending). */
export function isNotConfident(text: string): boolean {
  const t = text.trim()
  return t === '' || t.includes(HANDOFF_MARK) || UNSURE.some((re) => re.test(t))
}
