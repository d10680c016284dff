-- Personal data at rest: the applicant column keeps only the masked form shown on
-- screens; the full record is sealed with the hall's data key (AES-256-GCM under a key
-- id, the key itself never in the database), and id_hash is a keyed hash of the ID
-- number for exact search.
ALTER TABLE cases ADD COLUMN applicant_sealed bytea, ADD COLUMN applicant_key text, ADD COLUMN id_hash text;
CREATE INDEX cases_id_hash ON cases (id_hash) WHERE id_hash IS NOT NULL;
ALTER TABLE notices ADD COLUMN applicant_sealed bytea, ADD COLUMN applicant_key text, ADD COLUMN id_hash text;
-- Scans of materials are sealed the same way; sha256 is of the original file.
ALTER TABLE attachments ADD COLUMN data_key text;
