import { expect, test } from 'vitest'
import { align, emptyCheckpoint, recordBubble } from './chat-checkpoint.ts'

test('a re-read of the same history captures nothing again', () => {
  expect(align(['a', 'b', 'c', 'd'], ['b', 'c', 'd'])).toBe(3)
  expect(align(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(3)
})

test('what arrived while the agent was down is captured, and only that', () => {
  expect(align(['a', 'b', 'c', 'd'], ['c', 'd', 'e', 'f'])).toBe(2)
})

test('a repeated short reply is not mistaken for one already captured', () => {
  // The customer said 好的 again after we captured [问, 好的]: the visible window shows both.
  expect(align(['q', 'x', '好的'], ['q', 'x', '好的', '好的'])).toBe(3)
  // With no overlap at all, everything visible is new.
  expect(align(['a', 'b', 'c'], ['x', 'y'])).toBe(0)
  expect(align([], ['x'])).toBe(0)
})

test('occurrence numbers make repeated texts distinct', () => {
  const cp = emptyCheckpoint()
  expect(recordBubble(cp, 'customer||好的')).toBe(0)
  expect(recordBubble(cp, 'customer||好的')).toBe(1)
  expect(recordBubble(cp, 'customer||谢谢')).toBe(0)
  expect(cp.tail).toEqual(['customer||好的', 'customer||好的', 'customer||谢谢'])
})
