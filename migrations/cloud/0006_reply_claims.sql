-- The reply worker's bookkeeping (not synced to agents).
--
-- A cloud instance answering a conversation holds a lease on it here, taken together with a
-- lock on the pending messages (FOR UPDATE SKIP LOCKED) in one short transaction, so two
-- instances never work on the same conversation at once. The lease only saves duplicate work:
-- exactly-once comes from the reply transaction itself, which sets messages.answered_by under
-- the row lock in the same transaction that inserts the reply. A worker that dies leaves its
-- lease to expire; another instance then claims the conversation again (attempts + 1).
CREATE TABLE reply_claims (
  conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
  owner text NOT NULL,
  message_ids uuid[] NOT NULL,
  lease_until timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

-- The backlog: inbound messages nothing has answered yet (the startup scan and the sweep).
CREATE INDEX messages_unanswered ON messages (conversation_id, created_at)
  WHERE direction = 'in' AND answered_by IS NULL;
