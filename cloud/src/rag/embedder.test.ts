import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import {
  createLexicalEmbedder,
  EMBEDDING_DIMS,
  fitDims,
  isZeroVector,
  toVectorLiteral,
} from './embedder.ts'

const norm = (v: number[]) => Math.hypot(...v)
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0)

describe('lexical embedder', () => {
  const e = createLexicalEmbedder()

  test('gives deterministic, normalised 384-dimensional vectors', async () => {
    const [a, b] = await e.embed(['退款多久到账', '退款多久到账'])
    expect(a).toHaveLength(EMBEDDING_DIMS)
    expect(norm(a!)).toBeCloseTo(1, 6)
    expect(a).toEqual(b)
    expect(await createLexicalEmbedder().embed(['退款多久到账'])).toEqual([a])
  })

  test('texts sharing words are closer than unrelated ones', async () => {
    const [q, near, far] = await e.embed(['退款几天到账', '退款多久到账？', '门店几点开门'])
    expect(cos(q!, near!)).toBeGreaterThan(cos(q!, far!) + 0.2)
  })

  test('an empty or punctuation-only text is the zero vector', async () => {
    const [v, w] = await e.embed(['', '？？😂'])
    expect(isZeroVector(v!)).toBe(true)
    expect(isZeroVector(w!)).toBe(true)
  })
})

describe('fitDims', () => {
  test('truncates, pads or projects to the target width and normalises', () => {
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!))
    close(fitDims([3, 4, 5, 6], 2, 'truncate'), [0.6, 0.8])
    close(fitDims([3, 4], 4), [0.6, 0.8, 0, 0])
    const p = fitDims(
      Array.from({ length: 768 }, (_, i) => Math.sin(i)),
      384,
      'project',
    )
    expect(p).toHaveLength(384)
    expect(norm(p)).toBeCloseTo(1, 6)
  })

  test('projection roughly preserves cosine similarity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (seed) => {
        const a = Array.from({ length: 512 }, (_, i) => Math.sin(i * seed))
        const b = a.map((x, i) => x + 0.5 * Math.cos(i * seed * 7))
        const before = cos(fitDims(a, 512), fitDims(b, 512))
        const after = cos(fitDims(a, 384, 'project'), fitDims(b, 384, 'project'))
        expect(Math.abs(before - after)).toBeLessThan(0.15)
      }),
      { numRuns: 20 },
    )
  })
})

test('toVectorLiteral writes pgvector text and zeroes non-finite values', () => {
  expect(toVectorLiteral([0.5, Number.NaN, -1])).toBe('[0.5,0,-1]')
})
