-- Local overlay of a conversation's hand-off state (a person typed in WeChat), until the
-- cloud's row agrees.
CREATE TABLE conversation_state_local (
  id uuid PRIMARY KEY,
  state text NOT NULL,
  handler text,
  bot_paused_until timestamptz
);

CREATE OR REPLACE VIEW conversations_all AS
  SELECT c.id, c.agent_id, c.chat_key, c.kind, c.title, c.customer_id,
         coalesce(o.state, c.state) AS state,
         CASE WHEN o.id IS NOT NULL THEN o.bot_paused_until ELSE c.bot_paused_until END AS bot_paused_until,
         coalesce(o.handler, c.handler) AS handler, c.created_at, c.updated_at
    FROM (SELECT * FROM conversations
          UNION ALL SELECT * FROM conversations_local l WHERE NOT EXISTS (SELECT 1 FROM conversations s WHERE s.id = l.id)) c
    LEFT JOIN conversation_state_local o ON o.id = c.id;

CREATE FUNCTION conversation_state_synced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM conversation_state_local o WHERE o.id = NEW.id AND o.state = NEW.state;
  RETURN NULL;
END $$;
CREATE TRIGGER conversations_state_synced AFTER INSERT OR UPDATE ON conversations
  FOR EACH ROW EXECUTE FUNCTION conversation_state_synced();
