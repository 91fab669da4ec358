-- Change capture: every synced table writes its changes to sync_log in the same transaction,
-- and each writing transaction is sealed at commit with an LSN taken in commit order.
--
-- Why not a bigserial: two transactions can commit out of sequence, and a reader that has
-- passed id 101 would never see id 100. Instead a deferred constraint trigger runs at commit
-- time, takes one advisory lock and draws the next LSN; the lock is released only after the
-- commit is visible, so a transaction holding LSN n is visible before LSN n+1 is even drawn.
-- Readers therefore see the LSNs as a gap-free prefix in commit order.
CREATE EXTENSION IF NOT EXISTS hstore;

CREATE SEQUENCE sync_lsn_seq;
-- LSNs must grow across database rebuilds too (pglite-sync stores the last LSN it saw), so the
-- sequence starts at the creation time in microseconds.
SELECT setval('sync_lsn_seq', (extract(epoch from clock_timestamp()) * 1000000)::bigint);

CREATE TABLE sync_tx (
  lsn bigint PRIMARY KEY,
  txid xid8 NOT NULL UNIQUE,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE sync_log (
  id bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  tbl text NOT NULL,
  op text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'truncate')),
  pk text,
  new_row jsonb,
  old_row jsonb,
  origin text
);
CREATE INDEX sync_log_txid ON sync_log (txid);

-- Where the log starts after compaction: a cursor below it must refetch.
CREATE TABLE sync_meta (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  log_floor_lsn bigint NOT NULL DEFAULT 0
);
INSERT INTO sync_meta DEFAULT VALUES;

-- Shape handles: unique, never reused, surviving restarts.
CREATE TABLE sync_shapes (
  handle text PRIMARY KEY,
  def_key text NOT NULL,
  def jsonb NOT NULL,
  created_lsn bigint NOT NULL,
  invalidated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_shapes_def ON sync_shapes (def_key) WHERE invalidated_at IS NULL;

CREATE FUNCTION kefu_seal_tx() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  me xid8 := pg_current_xact_id();
  v bigint;
BEGIN
  IF current_setting('kefu.sealed', true) IS DISTINCT FROM me::text THEN
    PERFORM pg_advisory_xact_lock(74110001);
    v := nextval('sync_lsn_seq');
    INSERT INTO sync_tx (lsn, txid) VALUES (v, me);
    PERFORM set_config('kefu.sealed', me::text, true);
    PERFORM pg_notify('kefu_sync', v::text);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER sync_log_seal AFTER INSERT ON sync_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kefu_seal_tx();

-- Row capture. Values are stored as their Postgres text form (hstore keeps each column's
-- output function), which is exactly what the Electric protocol sends.
CREATE FUNCTION kefu_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o text := nullif(current_setting('kefu.origin', true), '');
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO sync_log (tbl, op, pk, new_row, origin)
    VALUES (TG_TABLE_NAME, 'insert', NEW.id::text, hstore_to_jsonb(hstore(NEW)), o);
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW IS NOT DISTINCT FROM OLD THEN
      RETURN NULL;
    END IF;
    INSERT INTO sync_log (tbl, op, pk, new_row, old_row, origin)
    VALUES (TG_TABLE_NAME, 'update', NEW.id::text, hstore_to_jsonb(hstore(NEW)),
            hstore_to_jsonb(hstore(OLD)), o);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO sync_log (tbl, op, pk, old_row, origin)
    VALUES (TG_TABLE_NAME, 'delete', OLD.id::text, hstore_to_jsonb(hstore(OLD)), o);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION kefu_capture_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sync_log (tbl, op) VALUES (TG_TABLE_NAME, 'truncate');
  RETURN NULL;
END $$;

-- Turns change capture on for a table whose primary key is a single `id` column.
CREATE FUNCTION kefu_sync_enable(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER kefu_capture AFTER INSERT OR UPDATE OR DELETE ON %s
                  FOR EACH ROW EXECUTE FUNCTION kefu_capture()', t);
  EXECUTE format('CREATE TRIGGER kefu_capture_truncate AFTER TRUNCATE ON %s
                  FOR EACH STATEMENT EXECUTE FUNCTION kefu_capture_truncate()', t);
END $$;
