import type { ConversationState } from '@kefu/schema'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  canBotReply,
  defaultConversationConfig,
  initialSnapshot,
  transition,
} from './conversation-state.ts'
import type {
  ConversationConfig,
  ConversationEvent,
  ConversationEventType,
  ConversationSnapshot,
  Effect,
} from './conversation-state.ts'

const T = new Date('2024-03-04T02:00:00Z')
const MIN = 60_000
const plus = (ms: number, from: Date = T) => new Date(from.getTime() + ms)
const cfg: ConversationConfig = { humanTtlMs: 30 * MIN }

const FROM = {
  unhandled: { state: 'unhandled', botPausedUntil: null, handler: null },
  bot: { state: 'bot', botPausedUntil: null, handler: null },
  waiting_human: { state: 'waiting_human', botPausedUntil: null, handler: null },
  human: { state: 'human', botPausedUntil: plus(10 * MIN), handler: 'alice' },
  human_expired: { state: 'human', botPausedUntil: plus(-1), handler: 'alice' },
  ended: { state: 'ended', botPausedUntil: null, handler: null },
} satisfies Record<string, ConversationSnapshot>
type From = keyof typeof FROM

const EVENT = {
  customer_message: { type: 'customer_message' },
  bot_replied: { type: 'bot_replied' },
  handoff_requested: { type: 'handoff_requested', reason: 'complaint' },
  human_took_over: { type: 'human_took_over', via: 'wechat', handler: 'bob' },
  human_released: { type: 'human_released' },
  ttl_expired: { type: 'ttl_expired' },
  conversation_ended: { type: 'conversation_ended', cause: 'idle' },
  customer_returned: { type: 'customer_returned' },
} satisfies { [K in ConversationEventType]: Extract<ConversationEvent, { type: K }> }

type Expected =
  | 'ignored'
  | 'rejected'
  | { state: ConversationState; effects: readonly Effect[]; handler?: string; until?: Date }

const answer: Effect = { type: 'answer' }
const cancel: Effect = { type: 'cancel_bot_replies' }
const notify: Effect = { type: 'notify_humans', reason: 'complaint' }
const closed: Effect = { type: 'closed', cause: 'idle' }
const toBot = { state: 'bot', effects: [] } as const
const toHuman = {
  state: 'human',
  effects: [cancel],
  handler: 'bob',
  until: plus(30 * MIN),
} as const
const toWaiting = { state: 'waiting_human', effects: [cancel, notify] } as const
const toEnded = { state: 'ended', effects: [cancel, closed] } as const

// Every (state × event) pair, spelled out. `human_expired` is `human` with its TTL passed at T.
const TABLE: Record<From, Record<ConversationEventType, Expected>> = {
  unhandled: {
    customer_message: { state: 'bot', effects: [answer] },
    bot_replied: toBot,
    handoff_requested: toWaiting,
    human_took_over: toHuman,
    human_released: 'rejected',
    ttl_expired: 'ignored',
    conversation_ended: toEnded,
    customer_returned: 'ignored',
  },
  bot: {
    customer_message: { state: 'bot', effects: [answer] },
    bot_replied: 'ignored',
    handoff_requested: toWaiting,
    human_took_over: toHuman,
    human_released: 'rejected',
    ttl_expired: 'ignored',
    conversation_ended: toEnded,
    customer_returned: 'ignored',
  },
  waiting_human: {
    customer_message: 'ignored',
    bot_replied: 'ignored',
    handoff_requested: 'ignored',
    human_took_over: toHuman,
    human_released: toBot,
    ttl_expired: 'ignored',
    conversation_ended: toEnded,
    customer_returned: 'ignored',
  },
  human: {
    customer_message: 'ignored',
    bot_replied: 'ignored',
    handoff_requested: 'ignored',
    human_took_over: toHuman,
    human_released: toBot,
    ttl_expired: 'ignored',
    conversation_ended: toEnded,
    customer_returned: 'ignored',
  },
  human_expired: {
    customer_message: { state: 'bot', effects: [answer] },
    bot_replied: toBot,
    handoff_requested: toWaiting,
    human_took_over: toHuman,
    human_released: toBot,
    ttl_expired: toBot,
    conversation_ended: toEnded,
    customer_returned: toBot,
  },
  ended: {
    customer_message: { state: 'bot', effects: [answer] },
    bot_replied: 'ignored',
    handoff_requested: 'rejected',
    human_took_over: toHuman,
    human_released: 'rejected',
    ttl_expired: 'ignored',
    conversation_ended: 'ignored',
    customer_returned: { state: 'unhandled', effects: [] },
  },
}

const rows = (Object.keys(TABLE) as From[]).flatMap((from) =>
  (Object.keys(EVENT) as ConversationEventType[]).map((ev) => [from, ev, TABLE[from][ev]] as const),
)

describe('conversation state machine', () => {
  test('the table covers every state × event pair', () => {
    expect(rows).toHaveLength(6 * 8)
    const states = new Set(rows.map(([f]) => FROM[f].state))
    expect([...states].sort()).toEqual(['bot', 'ended', 'human', 'unhandled', 'waiting_human'])
  })

  test.each(rows)('%s + %s', (from, ev, want) => {
    const input: ConversationSnapshot = { ...FROM[from] }
    const r = transition(input, EVENT[ev], T, cfg)
    if (want === 'rejected') {
      expect(r).toEqual({ ok: false, error: 'illegal_transition', from: input.state, event: ev })
      return
    }
    if (!r.ok) throw new Error('unexpected rejection')
    if (want === 'ignored') {
      expect(r.state).toBe(input) // unchanged: same object, nothing to persist
      expect(r.effects).toEqual([])
      return
    }
    expect(r.state).toEqual({
      state: want.state,
      handler: want.handler ?? null,
      botPausedUntil: want.until ?? null,
    })
    expect(r.effects).toEqual(want.effects)
  })

  test('a repeated takeover refreshes the handler and the TTL', () => {
    let s: ConversationSnapshot = initialSnapshot
    const take = (handler: string, at: Date) =>
      transition(s, { type: 'human_took_over', via: 'console', handler }, at, cfg)
    let r = take('alice', T)
    if (r.ok) s = r.state
    r = take('bob', plus(20 * MIN))
    if (r.ok) s = r.state
    expect(s).toEqual({ state: 'human', handler: 'bob', botPausedUntil: plus(50 * MIN) })
    expect(canBotReply(s, plus(49 * MIN))).toBe(false)
    expect(canBotReply(s, plus(50 * MIN))).toBe(true)
  })

  test('with no TTL a human keeps the chat until released', () => {
    const r = transition(initialSnapshot, EVENT.human_took_over, T, { humanTtlMs: null })
    expect(r.ok && r.state).toEqual({ state: 'human', handler: 'bob', botPausedUntil: null })
    if (!r.ok) return
    const years = plus(10 * 365 * 24 * 60 * MIN)
    expect(canBotReply(r.state, years)).toBe(false)
    // A customer writing ten years later is still for the person, not the bot.
    const later = transition(r.state, EVENT.customer_message, years)
    expect(later.ok && later.state).toBe(r.state)
    const released = transition(r.state, EVENT.human_released, years)
    expect(released.ok && canBotReply(released.state, years)).toBe(true)
  })

  test.each([
    ['unhandled', true],
    ['bot', true],
    ['waiting_human', false],
    ['human', false],
    ['human_expired', true],
    ['ended', false],
  ] as const)('canBotReply in %s is %s', (from, want) => {
    expect(canBotReply(FROM[from], T)).toBe(want)
  })

  test('the default config mutes the bot for 30 minutes', () => {
    expect(defaultConversationConfig.humanTtlMs).toBe(30 * MIN)
  })
})

const arbEvent: fc.Arbitrary<ConversationEvent> = fc.oneof(
  fc.constant(EVENT.customer_message),
  fc.constant(EVENT.bot_replied),
  fc
    .constantFrom('keyword', 'complaint', 'vip', 'console')
    .map((reason) => ({ type: 'handoff_requested' as const, reason })),
  fc.record({
    type: fc.constant('human_took_over' as const),
    via: fc.constantFrom('wechat' as const, 'console' as const),
    handler: fc.constantFrom('alice', 'bob'),
  }),
  fc.constant(EVENT.human_released),
  fc.constant(EVENT.ttl_expired),
  fc
    .constantFrom('idle' as const, 'explicit' as const)
    .map((cause) => ({ type: 'conversation_ended' as const, cause })),
  fc.constant(EVENT.customer_returned),
)
const arbSteps = fc.array(fc.tuple(arbEvent, fc.integer({ min: 0, max: 40 * MIN })), {
  maxLength: 60,
})
const arbTtl = fc.constantFrom<number | null>(MIN, 30 * MIN, null)

describe('conversation state machine properties', () => {
  test('after a takeover and before release or TTL, the bot may never reply', () => {
    fc.assert(
      fc.property(arbSteps, arbTtl, (steps, humanTtlMs) => {
        let s = initialSnapshot
        let now = T.getTime()
        let mutedUntil: number | null | undefined // undefined: no person holds the chat
        for (const [event, dt] of steps) {
          now += dt
          const r = transition(s, event, new Date(now), { humanTtlMs })
          if (r.ok) s = r.state
          if (event.type === 'human_took_over')
            mutedUntil = humanTtlMs === null ? null : now + humanTtlMs
          if (r.ok && (event.type === 'human_released' || event.type === 'conversation_ended'))
            mutedUntil = undefined
          const held = mutedUntil === null || (mutedUntil !== undefined && now < mutedUntil)
          if (held) {
            expect(canBotReply(s, new Date(now))).toBe(false)
            expect(r.ok && r.effects.some((e) => e.type === 'answer')).toBe(false)
          }
        }
      }),
    )
  })

  test('handler and pause exist only in human; only bad releases and hand-offs are rejected', () => {
    fc.assert(
      fc.property(arbSteps, arbTtl, (steps, humanTtlMs) => {
        let s = initialSnapshot
        let now = T.getTime()
        for (const [event, dt] of steps) {
          now += dt
          const r = transition(s, event, new Date(now), { humanTtlMs })
          if (!r.ok) {
            expect(
              event.type === 'human_released' ||
                (event.type === 'handoff_requested' && s.state === 'ended'),
            ).toBe(true)
            continue
          }
          s = r.state
          if (s.state !== 'human') expect([s.handler, s.botPausedUntil]).toEqual([null, null])
          else expect(s.handler).not.toBeNull()
        }
      }),
    )
  })
})
