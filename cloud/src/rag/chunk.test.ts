import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { chunkMarkdown, splitSentences } from './chunk.ts'
import { POLICY_MD } from './test-kb.ts'

const sentence = (i: number) => `第${i}条：这是一句用来测试切分的中文句子，长度适中。`
const len = (s: string) => [...s].length

describe('splitSentences', () => {
  test('splits after Chinese and Latin sentence ends, keeping closing quotes', () => {
    expect(splitSentences('你好！！请问运费多少？“好的。”价格是2.5元. Next.\n第二行')).toEqual([
      '你好！！',
      '请问运费多少？',
      '“好的。”',
      '价格是2.5元.',
      'Next.',
      '第二行',
    ])
  })
})

describe('chunkMarkdown', () => {
  test('follows headings and prefixes each chunk with its heading path', () => {
    const chunks = chunkMarkdown(POLICY_MD)
    expect(chunks.map((c) => c.headings)).toEqual([
      ['售后服务政策', '退货'],
      ['售后服务政策', '家具安装'],
      ['售后服务政策', '会员'],
    ])
    expect(chunks[1]!.text.startsWith('售后服务政策 > 家具安装\n大件家具')).toBe(true)
    expect(chunks.map((c) => c.ord)).toEqual([0, 1, 2])
  })

  test('packs a long section into 300–500 character chunks cut between sentences', () => {
    const body = Array.from({ length: 60 }, (_, i) => sentence(i)).join('')
    const chunks = chunkMarkdown(`# 长文\n\n${body}`)
    expect(chunks.length).toBeGreaterThan(2)
    for (const c of chunks.slice(0, -1)) {
      expect(len(c.body)).toBeGreaterThanOrEqual(300)
      expect(len(c.body)).toBeLessThanOrEqual(500)
    }
    for (const c of chunks) expect(c.body.endsWith('。')).toBe(true)
  })

  test('consecutive chunks overlap by whole sentences', () => {
    const body = Array.from({ length: 40 }, (_, i) => sentence(i)).join('')
    const [a, b] = chunkMarkdown(body)
    const last = splitSentences(a!.body).at(-1)!
    expect(b!.body.startsWith(last) || b!.body.includes(last)).toBe(true)
  })

  test('does not read headings inside code fences', () => {
    const chunks = chunkMarkdown('# 标题\n\n```\n# 不是标题\n```\n')
    expect(chunks).toHaveLength(1)
    expect(chunks[0]!.body).toContain('# 不是标题')
  })

  test('bounds every chunk and loses no sentence, for any text', () => {
    const piece = fc.constantFrom(
      '退货。',
      '运费谁出？',
      '好的！',
      '\n\n',
      '\n',
      '# 标题\n',
      '## 小节\n',
      '很长很长的一句话没有标点'.repeat(8),
      'abc def. ',
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (ps) => {
        const md = ps.join('')
        const chunks = chunkMarkdown(md, { target: 120, max: 160, overlap: 30 })
        const all = chunks.map((c) => c.body).join('\n')
        for (const c of chunks) expect(len(c.body)).toBeLessThanOrEqual(160)
        for (const line of md.split('\n'))
          if (line.trim() !== '' && !line.startsWith('#'))
            for (const s of splitSentences(line)) if (len(s) <= 160) expect(all).toContain(s)
      }),
    )
  })
})
