-- The agent's replica: the rows its shapes carry (written only by pglite-sync), plus local
-- optimistic rows written before the cloud has confirmed them. The *_all views merge both;
-- when the synced row arrives, a trigger drops the optimistic one.
CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL,
  chat_key text NOT NULL,
  kind text NOT NULL,
  title text,
  customer_id uuid,
  state text NOT NULL,
  bot_paused_until timestamptz,
  handler text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX conversations_chat ON conversations (chat_key);

CREATE TABLE messages (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL,
  agent_id uuid NOT NULL,
  direction text NOT NULL,
  sender text,
  text text NOT NULL,
  kind text NOT NULL,
  mentioned boolean NOT NULL,
  captured_at timestamptz NOT NULL,
  dedup_key text NOT NULL,
  origin text NOT NULL,
  answered_by text,
  created_at timestamptz NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, captured_at);
CREATE INDEX messages_dedup ON messages (dedup_key);

CREATE TABLE replies (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL,
  agent_id uuid NOT NULL,
  message_ids uuid[] NOT NULL,
  text text NOT NULL,
  origin text NOT NULL,
  confidence real,
  sources jsonb NOT NULL,
  status text NOT NULL,
  error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz
);
CREATE INDEX replies_status ON replies (status);

CREATE TABLE customers (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL,
  display_name text NOT NULL,
  remark text,
  grade text NOT NULL,
  tags text[] NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);

CREATE TABLE faq (
  id uuid PRIMARY KEY,
  question text NOT NULL,
  answer text NOT NULL,
  variants text[] NOT NULL,
  tags text[] NOT NULL,
  published boolean NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE rules (
  id uuid PRIMARY KEY,
  version integer NOT NULL,
  status text NOT NULL,
  body jsonb NOT NULL,
  published_at timestamptz
);

-- Optimistic local rows (same columns), replaced by the synced ones.
CREATE TABLE conversations_local (LIKE conversations INCLUDING ALL);
CREATE TABLE messages_local (LIKE messages INCLUDING ALL);
CREATE TABLE replies_local (LIKE replies INCLUDING ALL);
CREATE TABLE customers_local (LIKE customers INCLUDING ALL);
-- Local status of replies being sent, until the cloud's row catches up.
CREATE TABLE reply_status_local (
  id uuid PRIMARY KEY,
  status text NOT NULL,
  sent_at timestamptz,
  error text
);
-- Messages answered locally while offline, until the cloud's row says so too.
CREATE TABLE message_answered_local (
  id uuid PRIMARY KEY,
  answered_by text NOT NULL
);

CREATE VIEW conversations_all AS
  SELECT * FROM conversations
  UNION ALL SELECT * FROM conversations_local l WHERE NOT EXISTS (SELECT 1 FROM conversations s WHERE s.id = l.id);
CREATE VIEW customers_all AS
  SELECT * FROM customers
  UNION ALL SELECT * FROM customers_local l WHERE NOT EXISTS (SELECT 1 FROM customers s WHERE s.id = l.id);
CREATE VIEW messages_all AS
  SELECT m.id, m.conversation_id, m.agent_id, m.direction, m.sender, m.text, m.kind, m.mentioned,
         m.captured_at, m.dedup_key, m.origin, coalesce(m.answered_by, a.answered_by) AS answered_by, m.created_at
    FROM (SELECT * FROM messages
          UNION ALL SELECT * FROM messages_local l WHERE NOT EXISTS (SELECT 1 FROM messages s WHERE s.id = l.id)) m
    LEFT JOIN message_answered_local a ON a.id = m.id;
CREATE VIEW replies_all AS
  SELECT r.id, r.conversation_id, r.agent_id, r.message_ids, r.text, r.origin, r.confidence, r.sources,
         CASE WHEN s.status IS NOT NULL AND r.status IN ('queued', 'sending', 'failed') THEN s.status ELSE r.status END AS status,
         coalesce(s.error, r.error) AS error, r.created_at, r.updated_at, coalesce(r.sent_at, s.sent_at) AS sent_at
    FROM (SELECT * FROM replies
          UNION ALL SELECT * FROM replies_local l WHERE NOT EXISTS (SELECT 1 FROM replies x WHERE x.id = l.id)) r
    LEFT JOIN reply_status_local s ON s.id = r.id;

CREATE FUNCTION drop_local_copy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I WHERE id = $1', TG_TABLE_NAME || '_local') USING NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER conversations_synced AFTER INSERT ON conversations FOR EACH ROW EXECUTE FUNCTION drop_local_copy();
CREATE TRIGGER messages_synced AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION drop_local_copy();
CREATE TRIGGER replies_synced AFTER INSERT ON replies FOR EACH ROW EXECUTE FUNCTION drop_local_copy();
CREATE TRIGGER customers_synced AFTER INSERT ON customers FOR EACH ROW EXECUTE FUNCTION drop_local_copy();

-- When the cloud's reply row reaches the status we sent, the local overlay is done.
CREATE FUNCTION reply_status_synced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reply_status_local s WHERE s.id = NEW.id AND s.status = NEW.status;
  RETURN NULL;
END $$;
CREATE TRIGGER replies_status_synced AFTER INSERT OR UPDATE ON replies FOR EACH ROW EXECUTE FUNCTION reply_status_synced();

CREATE FUNCTION answered_synced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.answered_by IS NOT NULL THEN
    DELETE FROM message_answered_local WHERE id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER messages_answered_synced AFTER INSERT OR UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION answered_synced();
