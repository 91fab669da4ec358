-- Retrieval bookkeeping on kb_chunks (which is not synced to agents).
--
-- `embedder` names the model that produced `embedding`: vectors of two models live in
-- different spaces, so search only compares a query with chunks of its own embedder.
-- `source_hash` fingerprints what a chunk was built from (text, tokeniser version, embedder),
-- so a re-import rewrites only what changed.
ALTER TABLE kb_chunks ADD COLUMN embedder text;
ALTER TABLE kb_chunks ADD COLUMN source_hash text;
CREATE INDEX kb_chunks_faq ON kb_chunks (faq_id) WHERE faq_id IS NOT NULL;
CREATE INDEX kb_chunks_document ON kb_chunks (document_id, ord) WHERE document_id IS NOT NULL;

-- A document is identified by where it came from; re-importing the same source replaces it.
CREATE UNIQUE INDEX kb_documents_source ON kb_documents (source) WHERE source IS NOT NULL;
