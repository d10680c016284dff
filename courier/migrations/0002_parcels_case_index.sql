-- parcels_case duplicated the leading column of UNIQUE (case_id, parcel_no), which
-- serves every look-up by case; every parcel write (one per courier event batch)
-- paid for both.
DROP INDEX IF EXISTS parcels_case;
