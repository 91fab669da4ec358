-- A captured message the cloud already holds under another id (same agent, same dedup key —
-- the agent re-read a chat after losing its checkpoint, say) is one message, not two: the
-- synced row supersedes the local copy.
--
-- The view hides such a copy at once, also while it is replayed from the journal into a
-- restored replica; the trigger removes it (and its local "answered" mark) when the synced row
-- lands.
CREATE OR REPLACE VIEW messages_all AS
  SELECT m.id, m.conversation_id, m.agent_id, m.direction, m.sender, m.text, m.kind, m.mentioned,
         m.captured_at, m.dedup_key, m.origin, coalesce(m.answered_by, a.answered_by) AS answered_by, m.created_at
    FROM (SELECT * FROM messages
          UNION ALL SELECT * FROM messages_local l
           WHERE NOT EXISTS (SELECT 1 FROM messages s
                              WHERE s.id = l.id OR (s.agent_id = l.agent_id AND s.dedup_key = l.dedup_key))) m
    LEFT JOIN message_answered_local a ON a.id = m.id;

CREATE FUNCTION drop_superseded_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH gone AS (
    DELETE FROM messages_local l
     WHERE l.agent_id = NEW.agent_id AND l.dedup_key = NEW.dedup_key AND l.id <> NEW.id
    RETURNING l.id)
  DELETE FROM message_answered_local a USING gone WHERE a.id = gone.id;
  RETURN NULL;
END $$;
CREATE TRIGGER messages_supersede AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION drop_superseded_message();
