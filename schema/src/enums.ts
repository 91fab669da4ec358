/** Closed value sets shared by the database CHECK constraints, the cloud and the agent. */
export const Grade = ['A', 'B', 'C', 'D'] as const
export type Grade = (typeof Grade)[number]

export const ConversationKind = ['direct', 'group'] as const
export type ConversationKind = (typeof ConversationKind)[number]

export const ConversationState = ['unhandled', 'bot', 'waiting_human', 'human', 'ended'] as const
export type ConversationState = (typeof ConversationState)[number]

export const Direction = ['in', 'out'] as const
export type Direction = (typeof Direction)[number]

export const MessageKind = ['text', 'image', 'file', 'voice', 'system'] as const
export type MessageKind = (typeof MessageKind)[number]

export const MessageOrigin = ['agent', 'human', 'console', 'cloud'] as const
export type MessageOrigin = (typeof MessageOrigin)[number]

export const AnsweredBy = ['local', 'cloud', 'human', 'none'] as const
export type AnsweredBy = (typeof AnsweredBy)[number]

export const ReplyOrigin = ['cloud_ai', 'faq', 'rule', 'local', 'human'] as const
export type ReplyOrigin = (typeof ReplyOrigin)[number]

export const ReplyStatus = ['queued', 'sending', 'sent', 'failed', 'cancelled'] as const
export type ReplyStatus = (typeof ReplyStatus)[number]

export const RuleStatus = ['draft', 'published', 'archived'] as const
export type RuleStatus = (typeof RuleStatus)[number]

export const Role = ['admin', 'supervisor', 'agent', 'analyst'] as const
export type Role = (typeof Role)[number]

export const Permission = [
  'read:message',
  'write:message',
  'manage:customer',
  'view:stats',
  'admin',
] as const
export type Permission = (typeof Permission)[number]

/** What each console role may do (mirrors the `roles` table seeded by the migrations). */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: Permission,
  supervisor: ['read:message', 'write:message', 'manage:customer', 'view:stats'],
  agent: ['read:message', 'write:message'],
  analyst: ['view:stats'],
}
