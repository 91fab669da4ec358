/**
 * Extractive answers from a retrieved document chunk, for when no LLM is configured: the
 * heading path the chunker prefixes is dropped, and a long chunk is cut down to the sentences
 * sharing the most words with the question (kept in document order), so the customer gets a
 * WeChat-sized answer rather than a page of policy.
 */
import { tokenize } from '@kefu/match'
import { splitSentences } from '../rag/chunk.ts'

/** Longest extract, in characters, before sentences are selected. */
export const MAX_EXTRACT_CHARS = 160

const SENTENCE_PUNCT = /[。！？!?；;，,：:]/u

/** The chunk body without its `标题 > 小节` prefix line. */
export function chunkBody(text: string): string {
  const nl = text.indexOf('\n')
  if (nl < 0) return text.trim()
  const first = text.slice(0, nl)
  // The chunker writes the heading path on a line of its own; a body line has punctuation.
  return first.includes(' > ') || !SENTENCE_PUNCT.test(first)
    ? text.slice(nl + 1).trim()
    : text.trim()
}

/** The part of a document chunk that answers `query`. */
export function extractPassage(query: string, chunkText: string, max = MAX_EXTRACT_CHARS): string {
  const body = chunkBody(chunkText)
  if ([...body].length <= max) return body
  const wanted = new Set(tokenize(query, { unigrams: false }))
  const sentences = splitSentences(body).map((s, i) => ({
    s,
    i,
    score: tokenize(s, { unigrams: false }).filter((t) => wanted.has(t)).length,
  }))
  const picked: typeof sentences = []
  let size = 0
  for (const c of [...sentences].sort((a, b) => b.score - a.score || a.i - b.i)) {
    if (c.score === 0 && picked.length > 0) break
    const n = [...c.s].length
    if (picked.length > 0 && size + n > max) continue
    picked.push(c)
    size += n
  }
  return picked
    .sort((a, b) => a.i - b.i)
    .map((c) => c.s)
    .join('')
}
