-- A courier event was stored twice: as a row of parcel_events (the tracking store,
-- deduplicated on what the carrier said) and as a link of the parcel's chain of
-- custody. It is now stored once: the event's row carries its place in the chain
-- (seq), the exact bytes hashed (body) and the hashes. custody_links keeps the halls'
-- own steps, and a parcel's chain is both tables' links in seq order. Links written
-- before this change stay where they are, so old chains still verify.
--
-- Every writer of a parcel's chain holds the parcel's row lock, so seq is unique per
-- parcel across both tables; a verification would name a repeated or missing seq.
-- An event for a waybill this hall does not know (parcel_id NULL) has no place in any
-- chain.
ALTER TABLE parcel_events
    ADD COLUMN seq       int CHECK (seq > 0),
    ADD COLUMN body      bytea,
    ADD COLUMN prev_hash text,
    ADD COLUMN hash      text,
    ADD CONSTRAINT parcel_events_chained CHECK (
        (seq IS NULL) = (body IS NULL) AND (seq IS NULL) = (prev_hash IS NULL)
        AND (seq IS NULL) = (hash IS NULL) AND (seq IS NULL OR parcel_id IS NOT NULL));

-- Now that events are links, they are append-only like the rest of the chain.
CREATE OR REPLACE FUNCTION custody_links_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER parcel_events_no_change BEFORE UPDATE OR DELETE ON parcel_events
    FOR EACH ROW EXECUTE FUNCTION custody_links_append_only();
