/**
 * Aho–Corasick multi-pattern scanner: one pass over the text finds every occurrence of every
 * keyword, so a rule set with thousands of sensitive words costs the same per message as one
 * with ten. Patterns and text are compared after {@link foldRuleText}.
 */
import { foldRuleText } from './text.ts'

/** One occurrence of a keyword in folded text. */
export interface KeywordHit {
  /** Index of the keyword in the list given to {@link createKeywordScanner}. */
  readonly index: number
  /** The keyword as given (not folded). */
  readonly keyword: string
  /** Start (inclusive) and end (exclusive) in the folded text. */
  readonly start: number
  readonly end: number
}

/** A compiled keyword list. */
export interface KeywordScanner {
  /** Every occurrence, overlapping ones included, ordered by end then by length (longest first). */
  scan(folded: string): KeywordHit[]
  /** Number of distinct non-empty folded patterns. */
  readonly size: number
}

interface Node {
  readonly next: Map<string, number>
  fail: number
  /** Pattern indices ending at this node, including those reached through fail links. */
  out: number[]
}

/** Compiles `keywords` (folded internally; empty ones are ignored) into a scanner. */
export function createKeywordScanner(keywords: readonly string[]): KeywordScanner {
  const nodes: Node[] = [{ next: new Map(), fail: 0, out: [] }]
  const folded = keywords.map(foldRuleText)
  const distinct = new Set<string>()
  folded.forEach((p, index) => {
    if (p.length === 0) return
    distinct.add(p)
    let at = 0
    // Code points, not UTF-16 units: the scan walks the text the same way.
    for (const unit of p) {
      let to = nodes[at].next.get(unit)
      if (to === undefined) {
        to = nodes.length
        nodes.push({ next: new Map(), fail: 0, out: [] })
        nodes[at].next.set(unit, to)
      }
      at = to
    }
    nodes[at].out.push(index)
  })

  // Breadth-first so every fail target is finished before the nodes that point at it.
  const queue: number[] = [...nodes[0].next.values()]
  for (let q = 0; q < queue.length; q++) {
    const from = queue[q]
    for (const [unit, to] of nodes[from].next) {
      let f = nodes[from].fail
      while (f !== 0 && !nodes[f].next.has(unit)) f = nodes[f].fail
      const cand = nodes[f].next.get(unit)
      nodes[to].fail = cand !== undefined && cand !== to ? cand : 0
      nodes[to].out = [...nodes[to].out, ...nodes[nodes[to].fail].out]
      queue.push(to)
    }
  }

  return {
    size: distinct.size,
    scan(text) {
      const hits: KeywordHit[] = []
      let at = 0
      let pos = 0
      for (const unit of text) {
        pos += unit.length
        while (at !== 0 && !nodes[at].next.has(unit)) at = nodes[at].fail
        at = nodes[at].next.get(unit) ?? 0
        for (const index of nodes[at].out) {
          hits.push({
            index,
            keyword: keywords[index],
            start: pos - folded[index].length,
            end: pos,
          })
        }
      }
      return hits
    },
  }
}

/**
 * Drops hits lying inside a longer hit, so "转人工" is judged as one hit rather than also as "人工"
 * (which matters when a negation like "不用" sits right before the longer one).
 */
export function outermostHits(hits: readonly KeywordHit[]): KeywordHit[] {
  return hits.filter(
    (h) =>
      !hits.some(
        (o) => o !== h && o.start <= h.start && o.end >= h.end && o.end - o.start > h.end - h.start,
      ),
  )
}
