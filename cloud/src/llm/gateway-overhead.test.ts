import { expect, test } from 'vitest'
import { measureGatewayOverhead, percentile } from './gateway-overhead.ts'

test('percentile is nearest-rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1)
  expect(percentile(xs, 50)).toBe(50)
  expect(percentile(xs, 99)).toBe(99)
  expect(percentile([7], 99)).toBe(7)
  expect(percentile([], 50)).toBeNaN()
})

test('gateway overhead is measured against the fake for plain and streamed calls', async () => {
  for (const stream of [false, true]) {
    const o = await measureGatewayOverhead({ n: 100, warmup: 20, stream })
    expect(o.n).toBe(100)
    expect(o.p50_ms).toBeGreaterThanOrEqual(0)
    expect(o.p99_ms).toBeGreaterThanOrEqual(o.p50_ms)
    // No time bound here: speed targets live in the pipeline benchmark, not in unit tests.
    expect(o.direct_p50_ms).toBeGreaterThan(0)
  }
})
