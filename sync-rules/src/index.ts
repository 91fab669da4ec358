export { eq, and, all, filterToSql, matchesRow } from './filter.ts'
export type { Filter } from './filter.ts'
export { AGENT_SHAPES, AGENT_WRITABLE, AGENT_SHAPE_GROUPS, agentShapeRule, agentShapeGroup } from './rules.ts'
export type { AgentShapeRule, AgentShapeGroup } from './rules.ts'
