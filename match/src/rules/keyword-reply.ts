/**
 * Keyword replies: the first, cheapest answer in the pipeline, and the one the agent can give on
 * its own while offline. One Aho–Corasick pass finds every rule's keywords at once.
 */
import { stripBotMentions } from './group-policy.ts'
import { createKeywordScanner } from './keyword-scanner.ts'
import type { KeywordScanner } from './keyword-scanner.ts'
import type { KeywordReply, RuleSet } from './rule-set.ts'
import { foldBare, foldRuleText } from './text.ts'

/** Outcome of {@link matchKeywordReply}. */
export type KeywordReplyMatch =
  | {
      readonly matched: true
      readonly rule: KeywordReply
      readonly reply: string
      /** The rule's keywords that were found (as written in the rule). */
      readonly keywords: readonly string[]
    }
  | { readonly matched: false }

interface Compiled {
  readonly scanner: KeywordScanner
  /** For each scanner pattern: which rule and which of its keywords. */
  readonly owner: readonly { readonly rule: number; readonly keyword: number }[]
  /** Rule indices, best first (priority desc, then list order). */
  readonly order: readonly number[]
  /** Per rule, its keywords folded bare, for `exact`. */
  readonly exact: readonly (readonly string[])[]
}

// Rule sets are immutable once parsed; compiling once per object keeps matching O(text).
const compiled = new WeakMap<readonly KeywordReply[], Compiled>()

function compile(rules: readonly KeywordReply[]): Compiled {
  const cached = compiled.get(rules)
  if (cached !== undefined) return cached
  const patterns: string[] = []
  const owner: { rule: number; keyword: number }[] = []
  rules.forEach((r, rule) => {
    if (r.match === 'exact') return
    r.keywords.forEach((k, keyword) => {
      patterns.push(k)
      owner.push({ rule, keyword })
    })
  })
  const order = rules
    .map((_, i) => i)
    .sort((a, b) => rules[b].priority - rules[a].priority || a - b)
  const exact = rules.map((r) => (r.match === 'exact' ? r.keywords.map(foldBare) : []))
  const c: Compiled = { scanner: createKeywordScanner(patterns), owner, order, exact }
  compiled.set(rules, c)
  return c
}

/**
 * Finds the best keyword reply for an incoming message. Matching is case-, width- and
 * whitespace-insensitive; `exact` also ignores punctuation ("价格？" equals "价格"). In a group the
 * bot's own @mention is removed first, and rules with `groups: false` are skipped. Whether the
 * bot should speak in the group at all is {@link shouldAnswerInGroup}'s call, not this one's.
 */
export function matchKeywordReply(
  ruleSet: Pick<RuleSet, 'keywordReplies' | 'groupPolicy'>,
  text: string,
  opts: { readonly isGroup: boolean },
): KeywordReplyMatch {
  const rules = ruleSet.keywordReplies
  if (rules.length === 0) return { matched: false }
  const c = compile(rules)
  const body = opts.isGroup ? stripBotMentions(ruleSet, text) : text

  const found = new Map<number, Set<number>>() // rule → keyword indices found
  for (const hit of c.scanner.scan(foldRuleText(body))) {
    const o = c.owner[hit.index]
    let s = found.get(o.rule)
    if (s === undefined) found.set(o.rule, (s = new Set()))
    s.add(o.keyword)
  }
  const bare = foldBare(body)

  for (const i of c.order) {
    const rule = rules[i]
    if (opts.isGroup && !rule.groups) continue
    let keywords: string[] = []
    if (rule.match === 'exact') {
      const k = c.exact[i].indexOf(bare)
      if (k >= 0) keywords = [rule.keywords[k]]
    } else {
      const s = found.get(i)
      if (s !== undefined && (rule.match === 'any' || s.size === rule.keywords.length)) {
        keywords = [...s].sort((a, b) => a - b).map((k) => rule.keywords[k])
      }
    }
    if (keywords.length > 0) return { matched: true, rule, reply: rule.reply, keywords }
  }
  return { matched: false }
}
