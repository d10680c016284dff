-- The relay's lease (lease_until, attempts) changes no indexed column, so PostgreSQL
-- can rewrite the row in place (a heap-only tuple) and skip the outbox's three
-- indexes, but only when the page has room for the new version. Packed full, every
-- lease went to another page with three new index entries. Room for it on each page:
ALTER TABLE outbox SET (fillfactor = 70);
