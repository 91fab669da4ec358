import { describe, expect, test } from 'vitest'
import { parseFaqFile } from './faq-file.ts'

describe('parseFaqFile', () => {
  test('reads JSONL with array or pipe-separated variants and keeps the file id as key', () => {
    const r = parseFaqFile(
      [
        '{"id":"f1","question":"能开发票吗？","answer":"可以。","variants":["有发票吗"]}',
        '',
        '{"id":7,"question":"运费多少","answer":"8元","variants":"邮费多少| 包邮吗 ","published":false}',
      ].join('\n'),
      'jsonl',
    )
    expect(r.issues).toEqual([])
    expect(r.rows).toEqual([
      { key: 'f1', question: '能开发票吗？', answer: '可以。', variants: ['有发票吗'], tags: [] },
      {
        key: '7',
        question: '运费多少',
        answer: '8元',
        variants: ['邮费多少', '包邮吗'],
        tags: [],
        published: false,
      },
    ])
  })

  test('reads CSV with English or Chinese headers', () => {
    const csv = '问题,答案,相似问法,标签\n能开发票吗？,"可以，电子发票。",有发票吗|开票,发票\n'
    const r = parseFaqFile(csv, 'csv')
    expect(r.issues).toEqual([])
    expect(r.rows[0]).toEqual({
      question: '能开发票吗？',
      answer: '可以，电子发票。',
      variants: ['有发票吗', '开票'],
      tags: ['发票'],
    })
  })

  test('reports every bad row with its line', () => {
    const r = parseFaqFile(
      ['{"question":"a","answer":"b"}', 'not json', '{"question":"","answer":"b"}'].join('\n'),
      'jsonl',
    )
    expect(r.rows).toHaveLength(1)
    expect(r.issues.map((i) => i.line)).toEqual([2, 3])
    expect(r.issues[1]!.message).toContain('question')
  })

  test('a CSV without an answer column is one issue on line 1', () => {
    expect(parseFaqFile('question,foo\n问,x\n', 'csv').issues).toEqual([
      { line: 1, message: 'the header has no "answer" column' },
    ])
  })
})
