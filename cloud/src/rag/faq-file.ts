/**
 * Reads FAQ import files. Two formats:
 *
 * - JSONL: one object per line, `{"question", "answer", "variants"?, "tags"?, "id"?,
 *   "published"?}`; `variants`/`tags` may be arrays or `|`-separated strings.
 * - CSV with a header row naming the columns `question`, `answer` and optionally `variants`,
 *   `tags` (both `|`-separated), `id`, `published`. Chinese headers (问题, 答案, 相似问法,
 *   标签) are accepted too.
 *
 * `id` is the file's own key for the entry (returned with the database id after import); it
 * is not stored. Every row is validated; the result lists all problems with their line.
 */
import { z } from 'zod'
import { parseCsv } from './csv.ts'

/** One FAQ entry to import. */
export interface FaqInput {
  /** The file's own id for the entry, if any. */
  readonly key?: string
  readonly question: string
  readonly answer: string
  readonly variants: readonly string[]
  readonly tags: readonly string[]
  /** Absent: a new entry is published, an existing one keeps its state. */
  readonly published?: boolean
}

/** A row that could not be read. */
export interface FaqFileIssue {
  readonly line: number
  readonly message: string
}

/** The rows read and the problems found. */
export interface FaqFileResult {
  readonly rows: FaqInput[]
  readonly issues: FaqFileIssue[]
}

/** Supported FAQ file formats. */
export type FaqFileFormat = 'jsonl' | 'csv'

const list = (max: number) =>
  z
    .union([z.array(z.string()), z.string()])
    .optional()
    .transform((v) => (typeof v === 'string' ? v.split('|') : (v ?? [])))
    .transform((v) => v.map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(z.string().max(max)).max(50))

const FaqLine = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  question: z.string().trim().min(1, 'question is empty').max(1000),
  answer: z.string().trim().min(1, 'answer is empty').max(5000),
  variants: list(1000),
  tags: list(50),
  published: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', '是', '否', ''])])
    .optional()
    .transform((v) =>
      v === undefined || v === ''
        ? undefined
        : !(v === false || v === 'false' || v === '0' || v === 'no' || v === '否'),
    ),
})

const HEADER_ALIASES: Readonly<Record<string, string>> = {
  问题: 'question',
  标准问题: 'question',
  答案: 'answer',
  回答: 'answer',
  相似问法: 'variants',
  相似问题: 'variants',
  标签: 'tags',
  编号: 'id',
  发布: 'published',
}

function toInput(line: number, raw: unknown, issues: FaqFileIssue[]): FaqInput | null {
  const r = FaqLine.safeParse(raw)
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ')
    issues.push({ line, message: msg })
    return null
  }
  const { id, question, answer, variants, tags, published } = r.data
  return {
    ...(id === undefined ? {} : { key: String(id) }),
    question,
    answer,
    variants,
    tags,
    ...(published === undefined ? {} : { published }),
  }
}

/** Reads an FAQ file's content. Never throws; problems are returned as issues. */
export function parseFaqFile(content: string, format: FaqFileFormat): FaqFileResult {
  const rows: FaqInput[] = []
  const issues: FaqFileIssue[] = []
  const push = (line: number, raw: unknown) => {
    const row = toInput(line, raw, issues)
    if (row) rows.push(row)
  }
  if (format === 'jsonl') {
    content.split(/\r?\n/).forEach((text, i) => {
      if (text.trim() === '') return
      let raw: unknown
      try {
        raw = JSON.parse(text)
      } catch {
        issues.push({ line: i + 1, message: 'not valid JSON' })
        return
      }
      push(i + 1, raw)
    })
    return { rows, issues }
  }
  const [header, ...records] = parseCsv(content)
  if (!header) return { rows, issues: [{ line: 1, message: 'the file is empty' }] }
  const cols = header.fields.map((h) => {
    const k = h.trim().toLowerCase()
    return HEADER_ALIASES[k] ?? k
  })
  for (const need of ['question', 'answer'])
    if (!cols.includes(need))
      issues.push({ line: 1, message: `the header has no "${need}" column` })
  if (issues.length > 0) return { rows, issues }
  for (const rec of records) {
    const obj: Record<string, string> = {}
    cols.forEach((c, i) => {
      if (c !== '' && rec.fields[i] !== undefined) obj[c] = rec.fields[i]!
    })
    push(rec.line, obj)
  }
  return { rows, issues }
}
