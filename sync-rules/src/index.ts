export { eq, and, all, filterToSql, matchesRow } from './filter.ts'
export type { Filter } from './filter.ts'
export { AGENT_SHAPES, AGENT_WRITABLE, agentShapeRule } from './rules.ts'
export type { AgentShapeRule } from './rules.ts'
