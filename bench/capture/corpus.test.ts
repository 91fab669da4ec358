import { describe, expect, test } from 'vitest'
import { quantile } from './capture-bench.ts'
import { captureCorpus } from './corpus.ts'

describe('capture corpus', () => {
  test('is the same for the same seed', () => {
    expect(captureCorpus(60)).toEqual(captureCorpus(60))
    expect(captureCorpus(60, 1)).not.toEqual(captureCorpus(60, 2))
  })

  test('covers short and long texts, digits, Latin words and both punctuation widths', () => {
    const texts = captureCorpus(60)
    const lengths = texts.map((t) => [...t].length)
    expect(Math.min(...lengths)).toBeLessThanOrEqual(3)
    expect(Math.max(...lengths)).toBeGreaterThanOrEqual(60)
    expect(texts.some((t) => /[A-Z]{1,3}\d{8,}/.test(t))).toBe(true)
    expect(texts.some((t) => /[a-z]{3,} [a-z]{3,}/i.test(t))).toBe(true)
    expect(texts.some((t) => /[，。？！：；]/.test(t))).toBe(true)
    expect(texts.some((t) => /[?",]/.test(t))).toBe(true)
  })
})

test('quantile takes the nearest rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1)
  expect(quantile(xs, 0.5)).toBe(50)
  expect(quantile(xs, 0.95)).toBe(95)
  expect(quantile([], 0.5)).toBe(0)
})
