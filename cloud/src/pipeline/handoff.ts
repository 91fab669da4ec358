/**
 * Hand-off triggers for the reply pipeline. The detection itself is pure and lives in
 * `@kefu/match` (rules/handoff.ts), so that the offline agent applies exactly the triggers the
 * cloud does; this module is the pipeline's name for it. The caller turns a `handoff: true`
 * into a `handoff_requested` event for the conversation state machine.
 */
export { bigramJaccard, detectHandoff } from '@kefu/match'
export type { HandoffDecision, HandoffInput } from '@kefu/match'
