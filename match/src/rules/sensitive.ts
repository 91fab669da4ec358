/**
 * Sensitive-word filter for OUTGOING text (replies written by the LLM, FAQ or a rule). It always
 * masks and reports; the rule set's `sensitiveAction` tells the reply worker whether the masked
 * text may go out (`mask`) or the reply must be held back (`block`, the default — a reply with
 * holes in it reads worse than a hand-off).
 */
import { createKeywordScanner } from './keyword-scanner.ts'
import type { KeywordScanner } from './keyword-scanner.ts'
import type { RuleSet } from './rule-set.ts'
import { foldWithMap } from './text.ts'

/** Outcome of {@link filterSensitive}. */
export interface SensitiveResult {
  /** The text with every hit masked (the input itself when there are no hits). */
  readonly text: string
  /** Distinct sensitive words found, as written in the rule set, in order of first appearance. */
  readonly hits: readonly string[]
  /** True when there are hits and the rule set says such a reply must not be sent. */
  readonly blocked: boolean
}

const scanners = new WeakMap<readonly string[], KeywordScanner>()

function scannerFor(words: readonly string[]): KeywordScanner {
  let s = scanners.get(words)
  if (s === undefined) scanners.set(words, (s = createKeywordScanner(words)))
  return s
}

/** Merges overlapping or touching [start, end) spans. */
function mergeSpans(spans: [number, number][]): [number, number][] {
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const out: [number, number][] = []
  for (const s of spans) {
    const last = out[out.length - 1]
    if (last !== undefined && s[0] <= last[1]) last[1] = Math.max(last[1], s[1])
    else out.push([s[0], s[1]])
  }
  return out
}

/**
 * Finds sensitive words (case-, width- and whitespace-insensitive, so "微 信" and "ＷＸ" are caught)
 * and masks them in the original text. A one-character replacement masks each visible
 * character of a hit ("骗子" → "＊＊"); a longer one replaces each hit whole.
 */
export function filterSensitive(
  ruleSet: Pick<RuleSet, 'sensitiveWords' | 'sensitiveReplacement' | 'sensitiveAction'>,
  text: string,
): SensitiveResult {
  if (ruleSet.sensitiveWords.length === 0) return { text, hits: [], blocked: false }
  const folded = foldWithMap(text)
  const found = scannerFor(ruleSet.sensitiveWords).scan(folded.text)
  if (found.length === 0) return { text, hits: [], blocked: false }

  const hits = [...new Set(found.map((h) => h.keyword))]
  // Hits are in folded positions; map them back so the original text keeps its own spacing.
  const spans = mergeSpans(found.map((h) => [folded.start[h.start], folded.end[h.end - 1]]))
  const repl = ruleSet.sensitiveReplacement
  const perChar = [...repl].length === 1
  let out = ''
  let at = 0
  for (const [s, e] of spans) {
    out += text.slice(at, s)
    out += perChar ? text.slice(s, e).replace(/\S/gu, repl) : repl
    at = e
  }
  out += text.slice(at)
  return { text: out, hits, blocked: ruleSet.sensitiveAction === 'block' }
}
