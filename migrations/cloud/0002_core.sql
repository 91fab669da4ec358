-- The core tables. Ids are client-generated UUIDv7 so agents can create rows offline.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE agents (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  wechat_account text,
  secret_hash text,
  disabled boolean NOT NULL DEFAULT false,
  status jsonb NOT NULL DEFAULT '{}',
  last_seen_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- In personal WeChat a contact belongs to one WeChat account, so a customer belongs to the
-- agent seat whose account they talk to; erp_id links the same person across seats.
CREATE TABLE customers (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL REFERENCES agents (id),
  display_name text NOT NULL,
  remark text,
  grade text NOT NULL DEFAULT 'C' CHECK (grade IN ('A', 'B', 'C', 'D')),
  tags text[] NOT NULL DEFAULT '{}',
  erp_id text,
  spend numeric(14, 2) NOT NULL DEFAULT 0,
  message_count integer NOT NULL DEFAULT 0,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, display_name)
);

CREATE TABLE conversations (
  id uuid PRIMARY KEY,
  agent_id uuid NOT NULL REFERENCES agents (id),
  chat_key text NOT NULL,
  kind text NOT NULL DEFAULT 'direct' CHECK (kind IN ('direct', 'group')),
  title text,
  customer_id uuid REFERENCES customers (id),
  state text NOT NULL DEFAULT 'unhandled'
    CHECK (state IN ('unhandled', 'bot', 'waiting_human', 'human', 'ended')),
  bot_paused_until timestamptz,
  handler text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (agent_id, chat_key)
);
CREATE INDEX conversations_agent ON conversations (agent_id);

CREATE TABLE messages (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  agent_id uuid NOT NULL REFERENCES agents (id),
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  sender text,
  text text NOT NULL,
  kind text NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'image', 'file', 'voice', 'system')),
  mentioned boolean NOT NULL DEFAULT false,
  captured_at timestamptz NOT NULL,
  dedup_key text NOT NULL UNIQUE,
  -- who wrote the row: the agent's capture, a person in WeChat, the console, the cloud
  origin text NOT NULL DEFAULT 'agent' CHECK (origin IN ('agent', 'human', 'console', 'cloud')),
  -- set when something already answered it ('local' = the agent's offline answerer)
  answered_by text CHECK (answered_by IN ('local', 'cloud', 'human', 'none')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, captured_at);
CREATE INDEX messages_agent ON messages (agent_id);

CREATE TABLE replies (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id),
  agent_id uuid NOT NULL REFERENCES agents (id),
  message_ids uuid[] NOT NULL DEFAULT '{}',
  text text NOT NULL,
  origin text NOT NULL CHECK (origin IN ('cloud_ai', 'faq', 'rule', 'local', 'human')),
  confidence real,
  sources jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX replies_agent ON replies (agent_id);
CREATE INDEX replies_conversation ON replies (conversation_id);

CREATE TABLE faq (
  id uuid PRIMARY KEY,
  question text NOT NULL,
  answer text NOT NULL,
  variants text[] NOT NULL DEFAULT '{}',
  tags text[] NOT NULL DEFAULT '{}',
  published boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb_documents (
  id uuid PRIMARY KEY,
  title text NOT NULL,
  source text,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One retrievable passage: a document chunk or an FAQ entry. `lexemes` holds the Chinese
-- tokens (words + character bigrams) separated by spaces, indexed as a 'simple' tsvector.
CREATE TABLE kb_chunks (
  id uuid PRIMARY KEY,
  document_id uuid REFERENCES kb_documents (id) ON DELETE CASCADE,
  faq_id uuid REFERENCES faq (id) ON DELETE CASCADE,
  ord integer NOT NULL DEFAULT 0,
  text text NOT NULL,
  lexemes text NOT NULL DEFAULT '',
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', lexemes)) STORED,
  embedding vector(384),
  CHECK ((document_id IS NULL) <> (faq_id IS NULL))
);
CREATE INDEX kb_chunks_tsv ON kb_chunks USING gin (tsv);
CREATE INDEX kb_chunks_embedding ON kb_chunks USING hnsw (embedding vector_cosine_ops);

-- Rule sets are versioned documents; exactly the published one syncs down to agents.
CREATE TABLE rules (
  id uuid PRIMARY KEY,
  version integer NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
  body jsonb NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE UNIQUE INDEX rules_one_published ON rules (status) WHERE status = 'published';

CREATE TABLE roles (
  name text PRIMARY KEY,
  permissions text[] NOT NULL
);
INSERT INTO roles (name, permissions) VALUES
  ('admin', '{read:message,write:message,manage:customer,view:stats,admin}'),
  ('supervisor', '{read:message,write:message,manage:customer,view:stats}'),
  ('agent', '{read:message,write:message}'),
  ('analyst', '{view:stats}');

CREATE TABLE users (
  id uuid PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL REFERENCES roles (name),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text,
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'agent', 'system', 'anonymous')),
  action text NOT NULL,
  target text,
  ip text,
  ok boolean NOT NULL DEFAULT true,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE llm_calls (
  id uuid PRIMARY KEY,
  provider text NOT NULL,
  model text NOT NULL,
  purpose text NOT NULL,
  message_id uuid,
  input_tokens integer NOT NULL DEFAULT 0,
  output_tokens integer NOT NULL DEFAULT 0,
  cost_usd numeric(12, 6) NOT NULL DEFAULT 0,
  latency_ms integer NOT NULL,
  ok boolean NOT NULL,
  streamed boolean NOT NULL DEFAULT false,
  error text,
  created_at timestamptz NOT NULL DEFAULT now()
);

SELECT kefu_sync_enable('agents');
SELECT kefu_sync_enable('customers');
SELECT kefu_sync_enable('conversations');
SELECT kefu_sync_enable('messages');
SELECT kefu_sync_enable('replies');
SELECT kefu_sync_enable('faq');
SELECT kefu_sync_enable('rules');
