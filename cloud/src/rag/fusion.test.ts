import { describe, expect, test } from 'vitest'
import { blend, maxFusedScore, reciprocalRankFusion } from './fusion.ts'

describe('reciprocalRankFusion', () => {
  test('an id ranked well in both lists beats one ranked first in only one', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['b', 'd', 'a'],
    ])
    expect(fused.map((f) => f.id)).toEqual(['b', 'a', 'd', 'c'])
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61)
  })

  test('first in every list reaches the maximum', () => {
    const [top] = reciprocalRankFusion([['x'], ['x']], 60)
    expect(top!.score).toBeCloseTo(maxFusedScore(2, 60))
  })

  test('no lists fuse to nothing', () => {
    expect(reciprocalRankFusion([])).toEqual([])
  })
})

describe('blend', () => {
  test('is the weighted mean of its parts and ignores negative cosine', () => {
    expect(blend({ rerank: 1, fusion: 1, vector: 2 }, 1, 0.5, -0.3)).toBeCloseTo(1.5 / 4)
    expect(blend({ rerank: 0, fusion: 0, vector: 0 }, 1, 1, 1)).toBe(0)
  })
})
