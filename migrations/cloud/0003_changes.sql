-- Idempotency of agent writes: every outbox change carries its own client id; a change id seen
-- before is answered as a duplicate and writes nothing.
CREATE TABLE applied_changes (
  change_id uuid PRIMARY KEY,
  agent_id uuid NOT NULL,
  kind text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applied_changes_agent ON applied_changes (agent_id, applied_at);
