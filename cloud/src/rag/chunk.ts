/**
 * Splits a Markdown or plain-text document into retrievable chunks of about 300–500
 * characters. Sections follow the headings (each chunk remembers its heading path, which is
 * prefixed to the chunk for context); inside a section, paragraphs are packed together, and a
 * paragraph too long for one chunk is split between sentences (。！？; and line ends). Only a
 * single sentence longer than the maximum is ever cut mid-sentence. Consecutive chunks of a
 * section overlap by their last sentence(s), up to `overlap` characters.
 */

/** Chunking limits, in characters (code points) of body text. */
export interface ChunkOptions {
  /** Stop adding paragraphs once a chunk reaches this size; default 400. */
  readonly target?: number
  /** Never exceed this size (except by the heading prefix); default 500. */
  readonly max?: number
  /** Carry this much trailing text into the next chunk, in whole sentences; default 80. */
  readonly overlap?: number
}

/** Defaults of {@link ChunkOptions}. */
export const defaultChunkOptions = { target: 400, max: 500, overlap: 80 } as const

/** One chunk of a document. */
export interface Chunk {
  /** Position in the document, from 0. */
  readonly ord: number
  /** Heading path of the section ("退货政策", "运费"); empty before the first heading. */
  readonly headings: readonly string[]
  /** The chunk body, without the heading prefix. */
  readonly body: string
  /** Heading path and body: what is stored, embedded and shown to the LLM. */
  readonly text: string
}

interface Section {
  readonly headings: readonly string[]
  readonly blocks: string[]
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/
const FENCE = /^\s*(```|~~~)/

/** Splits Markdown into sections by ATX headings, and sections into blank-line blocks. */
function sections(markdown: string): Section[] {
  const out: Section[] = []
  let path: string[] = []
  let current: Section = { headings: [], blocks: [] }
  let block: string[] = []
  let inFence = false
  const endBlock = () => {
    const b = block.join('\n').trim()
    if (b !== '') current.blocks.push(b)
    block = []
  }
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(line)) inFence = !inFence
    const h = inFence ? null : HEADING.exec(line)
    if (h) {
      endBlock()
      if (current.blocks.length > 0) out.push(current)
      const level = h[1]!.length
      path = [...path.slice(0, level - 1), h[2]!]
      while (path.length < level) path.unshift('')
      current = { headings: path.filter((p) => p !== ''), blocks: [] }
    } else if (!inFence && line.trim() === '') {
      endBlock()
    } else {
      block.push(line)
    }
  }
  endBlock()
  if (current.blocks.length > 0) out.push(current)
  return out
}

const len = (s: string) => [...s].length

/** Splits text after sentence-ending punctuation and at line ends, keeping the punctuation. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[。！？!?；;…][”’"')）】]*)(?![。！？!?；;…”’"')）】])|\n+|(?<=\.)\s+/u)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** Cuts a string into pieces of at most `max` code points. */
function hardCut(s: string, max: number): string[] {
  const cps = [...s]
  const out: string[] = []
  for (let i = 0; i < cps.length; i += max) out.push(cps.slice(i, i + max).join(''))
  return out
}

/** The units a section is packed from: whole blocks when they fit, else their sentences. */
function units(blocks: readonly string[], max: number): Unit[] {
  const out: Unit[] = []
  blocks.forEach((b, block) => {
    if (len(b) <= max) {
      out.push({ text: b, block })
      return
    }
    for (const s of splitSentences(b))
      for (const piece of len(s) <= max ? [s] : hardCut(s, max)) out.push({ text: piece, block })
  })
  return out
}

interface Unit {
  readonly text: string
  /** Index of the block it came from: units of one block join without a line break. */
  readonly block: number
}

/** Chunks a Markdown (or plain-text) document. */
export function chunkMarkdown(markdown: string, opts: ChunkOptions = {}): Chunk[] {
  const { target, max, overlap } = { ...defaultChunkOptions, ...opts }
  const chunks: Chunk[] = []
  for (const sec of sections(markdown)) {
    let parts: string[] = []
    let size = 0
    let fresh = 0 // units added since the overlap was carried over
    let lastBlock = -1
    const emit = () => {
      if (fresh === 0) return
      const body = parts.join('\n')
      const prefix = sec.headings.join(' > ')
      chunks.push({
        ord: chunks.length,
        headings: sec.headings,
        body,
        text: prefix === '' ? body : `${prefix}\n${body}`,
      })
      // Carry the last sentences (not whole paragraphs) into the next chunk.
      const carry: string[] = []
      let carried = 0
      const tail = splitSentences(parts.at(-1) ?? '')
      for (let i = tail.length - 1; i >= 0; i--) {
        const l = len(tail[i]!)
        if (carried + l > overlap) break
        carry.unshift(tail[i]!)
        carried += l
      }
      parts = carry.length > 0 ? [carry.join('')] : []
      size = carried
      fresh = 0
      // The carried sentences belong to the block the next unit may continue.
    }
    for (const u of units(sec.blocks, max)) {
      const l = len(u.text)
      if (size > 0 && (size + l > max || size >= target)) emit()
      // The carried overlap plus this unit may still not fit: drop the overlap.
      if (size + l > max) {
        parts = []
        size = 0
        lastBlock = -1
      }
      if (u.block === lastBlock && parts.length > 0) parts[parts.length - 1] += u.text
      else parts.push(u.text)
      lastBlock = u.block
      size += l
      fresh++
    }
    emit()
  }
  return chunks
}
