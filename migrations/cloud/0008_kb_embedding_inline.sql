-- Chunk embeddings stay in the row. A 384-dimension vector is 1.5 kB and a chunk's row with
-- its text, tsvector and lexemes about 2.7 kB: over the 2 kB threshold, so the default
-- (EXTENDED) storage moved every embedding out to the TOAST table, and a vector search read
-- each one back through the TOAST index — 870 buffers and 0.73 ms for the 208 chunks of the
-- bench FAQ, against 59 buffers and 0.21 ms inline (float vectors do not compress anyway).
-- A row still fits a page: the text columns around the embedding can be toasted themselves.
ALTER TABLE kb_chunks ALTER COLUMN embedding SET STORAGE PLAIN;
-- Existing rows keep their out-of-line values until rewritten; a new value is stored inline.
UPDATE kb_chunks SET embedding = embedding::text::vector WHERE embedding IS NOT NULL;
