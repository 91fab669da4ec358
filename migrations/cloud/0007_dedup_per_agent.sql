-- A message's dedup key is its agent's own name for a bubble it captured (chat, sender, text,
-- occurrence): two agents may well produce the same key, and one agent's key must tell nothing
-- about another's messages. Unique per agent, then, not across all agents.
--
-- Every existing row satisfies the new constraint (it was globally unique), so adding it cannot
-- fail. Its index also serves the duplicate lookup of apply-changes (agent_id, dedup_key).
ALTER TABLE messages DROP CONSTRAINT messages_dedup_key_key;
ALTER TABLE messages ADD CONSTRAINT messages_agent_dedup_key UNIQUE (agent_id, dedup_key);
