-- The relay no longer writes a lease into the row: a claimed batch stays locked by the
-- relay's transaction (FOR UPDATE), which the server ends when it is left idle longer
-- than the lease, so claiming a row writes no new version of it. What remains of the
-- column is the pause after a failed publish: the row is not claimed before retry_at.
ALTER TABLE outbox RENAME COLUMN lease_until TO retry_at;
