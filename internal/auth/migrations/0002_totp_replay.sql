-- The last TOTP time step accepted per account: a code is valid for up to 90 s, and
-- refusing any step not above the last stops the same code being used twice.
ALTER TABLE staff_users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;
