/**
 * Which rows each agent may replicate. An agent asks for a named shape (the table name); the
 * cloud derives the filter from these rules and the agent's identity, never from the request.
 */
import type { SyncedTable } from '@kefu/schema'
import { and, eq, type Filter } from './filter.ts'

export interface AgentShapeRule {
  table: SyncedTable
  /** The columns an agent may receive (request `columns` may only narrow this). */
  columns: readonly string[]
  filter(agentId: string): Filter
}

const owned = (agentId: string): Filter => eq('agent_id', agentId)

/** The shapes every agent subscribes to. */
export const AGENT_SHAPES: Readonly<Record<SyncedTable, AgentShapeRule>> = {
  conversations: {
    table: 'conversations',
    columns: ['id', 'agent_id', 'chat_key', 'kind', 'title', 'customer_id', 'state', 'bot_paused_until', 'handler', 'created_at', 'updated_at'],
    filter: owned,
  },
  messages: {
    table: 'messages',
    columns: ['id', 'conversation_id', 'agent_id', 'direction', 'sender', 'text', 'kind', 'mentioned', 'captured_at', 'dedup_key', 'origin', 'answered_by', 'created_at'],
    filter: owned,
  },
  replies: {
    table: 'replies',
    columns: ['id', 'conversation_id', 'agent_id', 'message_ids', 'text', 'origin', 'confidence', 'sources', 'status', 'error', 'created_at', 'updated_at', 'sent_at'],
    filter: owned,
  },
  // spend and ERP data stay in the cloud; the agent needs the name, grade and tags.
  customers: {
    table: 'customers',
    columns: ['id', 'agent_id', 'display_name', 'remark', 'grade', 'tags', 'first_seen_at', 'last_seen_at'],
    filter: owned,
  },
  faq: {
    table: 'faq',
    columns: ['id', 'question', 'answer', 'variants', 'tags', 'published', 'updated_at'],
    filter: () => eq('published', 't'),
  },
  rules: {
    table: 'rules',
    columns: ['id', 'version', 'status', 'body', 'published_at'],
    filter: () => and(eq('status', 'published')),
  },
}

/** The rule for `table`, or undefined when agents may not replicate it. */
export function agentShapeRule(table: string): AgentShapeRule | undefined {
  return Object.hasOwn(AGENT_SHAPES, table) ? AGENT_SHAPES[table as SyncedTable] : undefined
}

/** Which tables an agent writes, and the column that proves it owns the row. */
export const AGENT_WRITABLE = {
  conversations: 'agent_id',
  customers: 'agent_id',
  messages: 'agent_id',
  replies: 'agent_id',
} as const

/**
 * Tables an agent applies together, in one pglite-sync subscription each: a group's rows are
 * committed to the replica at consistent LSN boundaries (a hand-off and the reply it cancels
 * land together). Across groups nothing waits for anything, which keeps every commit's fan-out
 * to the shapes of its own group.
 *
 * A group costs per commit that concerns it: pglite-sync applies only once every shape of the
 * group has confirmed the commit, so each of its shapes is woken and answers. So tables go
 * together only when they must: the FAQ and the rules have nothing that must land at once, and
 * a FAQ publish (every agent, often many rows) wakes one shape per agent, not two. Regrouping is
 * safe for replicas already synced: a stored subscription that no longer matches a group is
 * dropped with its rows and synced again.
 */
export const AGENT_SHAPE_GROUPS = {
  chat: ['conversations', 'replies'],
  history: ['messages', 'customers'],
  faq: ['faq'],
  rules: ['rules'],
} as const satisfies Record<string, readonly SyncedTable[]>

export type AgentShapeGroup = keyof typeof AGENT_SHAPE_GROUPS

/** The group a synced table belongs to. */
export function agentShapeGroup(table: SyncedTable): AgentShapeGroup {
  for (const [g, tables] of Object.entries(AGENT_SHAPE_GROUPS))
    if ((tables as readonly string[]).includes(table)) return g as AgentShapeGroup
  throw new Error(`table ${table} is in no shape group`)
}
