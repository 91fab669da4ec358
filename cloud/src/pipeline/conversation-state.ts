/**
 * Conversation state machine (the official 微信客服 session states). Pure: time comes in as `now`,
 * side effects go out as data for the caller to perform.
 *
 * ```
 *                  customer_message (answer)
 *  ┌───────────┐   bot_replied                   ┌─────┐ ◀─┐ customer_message (answer)
 *  │ unhandled │ ──────────────────────────────▶ │ bot │ ──┘ bot_replied
 *  └───────────┘                                 └─────┘
 *     ▲     │ handoff_requested    handoff_requested │ ▲ ▲
 *     │     ▼                                        │ │ │
 *     │   ┌───────────────┐ ◀────────────────────────┘ │ │ human_released
 *     │   │ waiting_human │ ───────────────────────────┘ │
 *     │   └───────────────┘   human_released             │ human_released, or the TTL
 *     │     │ human_took_over                            │ passed (ttl_expired, or any
 *     │     ▼                                            │ event with now ≥ botPausedUntil)
 *     │   ┌───────┐ ─────────────────────────────────────┘
 *     │   │ human │ ◀─┐ human_took_over: handler and TTL refreshed; also
 *     │   └───────┘ ──┘ entered from unhandled, bot and ended
 *     │
 *     │ customer_returned  ┌───────┐ ◀── conversation_ended, from every state
 *     └─────────────────── │ ended │
 *                          └───────┘ ── customer_message (answer) ──▶ bot
 * ```
 *
 * Events are facts (a message arrived, a reply went out, a timer fired) or commands (take over,
 * release, hand off). A fact is never rejected: if it does not move the state it is ignored and
 * the same snapshot object comes back. Only commands that make no sense in the current state
 * are rejected: releasing a chat nobody holds, or handing off an ended one.
 *
 * Invariant: `handler` and `botPausedUntil` are non-null only in `human`.
 */
import { HandoffTrigger } from '@kefu/match'
import type { ConversationState } from '@kefu/schema'

/** Why a conversation was handed to a person: a trigger of `detectHandoff`, or the console. */
export const HandoffReason = [...HandoffTrigger, 'console'] as const
/** One of {@link HandoffReason}. */
export type HandoffReason = (typeof HandoffReason)[number]

/** What the state machine holds for one conversation (mirrors the `conversations` columns). */
export interface ConversationSnapshot {
  readonly state: ConversationState
  /** In `human`: the bot stays silent until this instant (null = until released). */
  readonly botPausedUntil: Date | null
  /** In `human`: who holds the chat (staff name, console user id or WeChat account). */
  readonly handler: string | null
}

/** Everything that can happen to a conversation. */
export type ConversationEvent =
  | { readonly type: 'customer_message' }
  | { readonly type: 'bot_replied' }
  | { readonly type: 'handoff_requested'; readonly reason: HandoffReason }
  /** A person typed in WeChat itself (`wechat`) or took over in the console. Each repeat
   *  refreshes the TTL, so the agent reports every message a person types. */
  | {
      readonly type: 'human_took_over'
      readonly via: 'wechat' | 'console'
      readonly handler: string
    }
  | { readonly type: 'human_released' }
  | { readonly type: 'ttl_expired' }
  | { readonly type: 'conversation_ended'; readonly cause: 'idle' | 'explicit' }
  | { readonly type: 'customer_returned' }

/** One of the event `type`s. */
export type ConversationEventType = ConversationEvent['type']

/** What the caller must do after a transition, in order. */
export type Effect =
  /** Run the reply pipeline for the customer's pending message(s). */
  | { readonly type: 'answer' }
  /** Cancel queued, unsent bot replies: the bot no longer owns the chat. Idempotent. */
  | { readonly type: 'cancel_bot_replies' }
  /** Put the chat in the human queue and alert the console. */
  | { readonly type: 'notify_humans'; readonly reason: HandoffReason }
  /** The conversation closed (analytics, satisfaction survey). */
  | { readonly type: 'closed'; readonly cause: 'idle' | 'explicit' }

/** State-machine tuning. */
export interface ConversationConfig {
  /** How long the bot stays silent after a person's last takeover or message; null: until
   *  released. */
  readonly humanTtlMs: number | null
}

/** Defaults: a person who goes quiet for 30 minutes hands the chat back to the bot. */
export const defaultConversationConfig: ConversationConfig = { humanTtlMs: 30 * 60_000 }

/** Outcome of {@link transition}. An ignored event returns the input snapshot itself. */
export type TransitionResult =
  | { readonly ok: true; readonly state: ConversationSnapshot; readonly effects: readonly Effect[] }
  | {
      readonly ok: false
      readonly error: 'illegal_transition'
      readonly from: ConversationState
      readonly event: ConversationEventType
    }

/** The snapshot of a new conversation. */
export const initialSnapshot: ConversationSnapshot = Object.freeze({
  state: 'unhandled',
  botPausedUntil: null,
  handler: null,
})

// Shared, frozen results: a snapshot outside `human` carries nothing but its state.
const at = (state: ConversationState): ConversationSnapshot =>
  Object.freeze({ state, botPausedUntil: null, handler: null })
const BOT = at('bot')
const WAITING = at('waiting_human')
const ENDED = at('ended')

/** Whether a `human` snapshot's TTL has run out at `now`. */
function ttlPassed(s: ConversationSnapshot, now: Date): boolean {
  return s.botPausedUntil !== null && now.getTime() >= s.botPausedUntil.getTime()
}

/**
 * Whether the bot may speak in this conversation at `now`. False in `waiting_human`, `ended`, and
 * in `human` until the TTL passes. The reply worker calls this again just before queuing a reply,
 * so a takeover that lands mid-pipeline still silences the bot. O(1), no allocation.
 */
export function canBotReply(s: ConversationSnapshot, now: Date): boolean {
  switch (s.state) {
    case 'unhandled':
    case 'bot':
      return true
    case 'human':
      return ttlPassed(s, now)
    case 'waiting_human':
    case 'ended':
      return false
  }
}

const ok = (state: ConversationSnapshot, effects: readonly Effect[] = []): TransitionResult => ({
  ok: true,
  state,
  effects,
})

function takeOver(handler: string, now: Date, cfg: ConversationConfig): TransitionResult {
  const until = cfg.humanTtlMs === null ? null : new Date(now.getTime() + cfg.humanTtlMs)
  return ok({ state: 'human', botPausedUntil: until, handler }, [{ type: 'cancel_bot_replies' }])
}

/**
 * Applies one event. A `human` snapshot whose TTL has passed is first treated as `bot` — expiry
 * is derived from `now`, so a missed `ttl_expired` timer cannot leave the bot muted forever.
 */
export function transition(
  snapshot: ConversationSnapshot,
  event: ConversationEvent,
  now: Date,
  cfg: ConversationConfig = defaultConversationConfig,
): TransitionResult {
  const expired = snapshot.state === 'human' && ttlPassed(snapshot, now)
  // Releasing a chat whose TTL already handed it back is a no-op, not an error.
  if (expired && event.type === 'human_released') return ok(BOT)
  const s = expired ? BOT : snapshot
  const r = step(s, event, now, cfg)
  // The expiry itself is a change the caller must persist, even if the event then changed nothing.
  return expired && r.ok && r.state === s ? ok(BOT, r.effects) : r
}

function step(
  s: ConversationSnapshot,
  e: ConversationEvent,
  now: Date,
  cfg: ConversationConfig,
): TransitionResult {
  const ignore = ok(s)
  const reject: TransitionResult = {
    ok: false,
    error: 'illegal_transition',
    from: s.state,
    event: e.type,
  }
  switch (e.type) {
    case 'customer_message':
      // ended: the customer came back; the bot picks the new conversation up straight away.
      if (s.state === 'unhandled' || s.state === 'bot' || s.state === 'ended') {
        return ok(BOT, [{ type: 'answer' }])
      }
      return ignore // waiting_human, human: a person will read it; the bot stays silent
    case 'bot_replied':
      // In waiting_human/human/ended this is a reply that raced a takeover or the end; it has
      // already gone out, so there is nothing to undo, and it must not reclaim the chat.
      return s.state === 'unhandled' ? ok(BOT) : ignore
    case 'handoff_requested':
      if (s.state === 'unhandled' || s.state === 'bot') {
        return ok(WAITING, [
          { type: 'cancel_bot_replies' },
          { type: 'notify_humans', reason: e.reason },
        ])
      }
      if (s.state === 'ended') return reject // nobody to hand off to; a person can take over
      return ignore // already waiting for, or with, a person
    case 'human_took_over':
      // Allowed from every state: a person typing in WeChat is a fact, even after the end.
      return takeOver(e.handler, now, cfg)
    case 'human_released':
      // From waiting_human this is the console sending a queued chat back to the bot.
      if (s.state === 'human' || s.state === 'waiting_human') return ok(BOT)
      return reject
    case 'ttl_expired':
      // Reaching here in `human` means the TTL was extended after the timer was set: stale.
      return ignore
    case 'conversation_ended':
      if (s.state === 'ended') return ignore
      return ok(ENDED, [{ type: 'cancel_bot_replies' }, { type: 'closed', cause: e.cause }])
    case 'customer_returned':
      return s.state === 'ended' ? ok(initialSnapshot) : ignore
  }
}
