-- Every courier event rewrites its parcel's tracking columns (status, raw code, times,
-- custody head). When no indexed column changes and the page has room, PostgreSQL
-- updates the row in place (a heap-only tuple) and touches none of the parcel's five
-- indexes. parcels_open indexed progress_at and named status in its predicate, so
-- every event paid for a new entry in every index. It is replaced by an index on a
-- flag that changes once in a parcel's life, when it reaches a final status; the
-- backstop poller filters the few parcels on their way by progress in the heap.
-- A batch of pushes updates the parcels in transit, which sit together in the newest
-- pages, several on each page in one statement: a page needs room for all their new
-- versions at once, or the rest go elsewhere with new index entries. Half a page
-- free kept five of six updates in place in the ingestion benchmark (the sixth, to
-- delivered, changes tracking); a fifth free kept only some.
ALTER TABLE parcels SET (fillfactor = 50);
DROP INDEX parcels_open;
ALTER TABLE parcels ADD COLUMN tracking boolean NOT NULL
    GENERATED ALWAYS AS (status NOT IN ('delivered', 'delivered_proxy', 'delivered_locker', 'returned', 'cancelled')) STORED;
CREATE INDEX parcels_tracking ON parcels (id) WHERE tracking AND role = 'origin' AND waybill IS NOT NULL;

-- An event is found by what the carrier said, which is already its unique key; the
-- surrogate id and the index by parcel made three index entries per event where one
-- does. A parcel's events are read through its waybill.
ALTER TABLE parcel_events DROP COLUMN id;
ALTER TABLE parcel_events DROP CONSTRAINT parcel_events_carrier_waybill_raw_code_at_key;
ALTER TABLE parcel_events ADD PRIMARY KEY (waybill, carrier, raw_code, at);
DROP INDEX parcel_events_parcel;
