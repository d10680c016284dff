-- Settlement's own database: the waybill ledger fed from the halls, tariffs, imported
-- courier bills, reconciliation results, disputes, period closes, allocations,
-- statements and the hash-chained audit log. Money is bigint fen, weights bigint
-- grams, lengths bigint millimetres.

CREATE TABLE inbox (
	envelope_id uuid        PRIMARY KEY,
	type        text        NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now()
);

-- Messages that failed the signature, the contract or the ledger's rules. Kept whole so
-- an operator can read and replay them; (topic, partition, offset) makes redelivery of
-- a bad message harmless.
CREATE TABLE quarantine (
	id          bigserial   PRIMARY KEY,
	topic       text        NOT NULL,
	part        int         NOT NULL,
	msg_offset  bigint      NOT NULL,
	msg_key     text        NOT NULL,
	value       bytea       NOT NULL,
	headers     jsonb       NOT NULL,
	reason      text        NOT NULL,
	detail      text        NOT NULL,
	at          timestamptz NOT NULL,
	replayed_at timestamptz,
	UNIQUE (topic, part, msg_offset)
);

CREATE TABLE waybill (
	id                   bigserial   PRIMARY KEY,
	carrier              text        NOT NULL,
	waybill_no           text        NOT NULL, -- normalised: upper case, no spaces or dashes
	product              text        NOT NULL,
	account              text        NOT NULL,
	origin_division      text        NOT NULL,
	destination_division text        NOT NULL,
	weight_g             bigint      NOT NULL CHECK (weight_g > 0),
	length_mm            bigint      NOT NULL CHECK (length_mm >= 0),
	width_mm             bigint      NOT NULL CHECK (width_mm >= 0),
	height_mm            bigint      NOT NULL CHECK (height_mm >= 0),
	insured              boolean     NOT NULL,
	declared_value_fen   bigint      NOT NULL CHECK (declared_value_fen >= 0),
	return_receipt       boolean     NOT NULL,
	quoted_fee_fen       bigint      NOT NULL CHECK (quoted_fee_fen >= 0),
	case_id              uuid        NOT NULL,
	case_no              text        NOT NULL,
	hall                 text        NOT NULL,
	department           text        NOT NULL,
	created_at           timestamptz NOT NULL,
	period               text        NOT NULL, -- YYYY-MM of created_at in Asia/Shanghai
	voided_at            timestamptz,
	envelope_id          uuid        NOT NULL,
	UNIQUE (carrier, waybill_no)
);
CREATE INDEX waybill_account_period ON waybill (carrier, account, period);

CREATE TABLE tariff (
	id             bigserial   PRIMARY KEY,
	carrier        text        NOT NULL,
	product        text        NOT NULL, -- '' applies to every product of the account
	account        text        NOT NULL, -- '' applies to every account of the carrier
	version        int         NOT NULL CHECK (version > 0),
	effective_from date        NOT NULL,
	effective_to   date,                 -- exclusive; NULL is open-ended
	body           jsonb       NOT NULL,
	created_by     text        NOT NULL,
	created_at     timestamptz NOT NULL,
	UNIQUE (carrier, product, account, version),
	CHECK (effective_to IS NULL OR effective_to > effective_from)
);

CREATE TABLE bill_import (
	id           bigserial   PRIMARY KEY,
	carrier      text        NOT NULL,
	account      text        NOT NULL,
	period       text        NOT NULL,
	file_sha256  bytea       NOT NULL,
	file_name    text        NOT NULL,
	format       text        NOT NULL,
	encoding     text        NOT NULL,
	status       text        NOT NULL CHECK (status IN ('accepted', 'needs_review', 'discarded')),
	rows_total   int         NOT NULL,
	rows_good    int         NOT NULL,
	rows_bad     int         NOT NULL,
	rows_known   int         NOT NULL, -- good rows an earlier import of the account already holds
	billed_fen   bigint      NOT NULL,
	imported_by  text        NOT NULL,
	imported_at  timestamptz NOT NULL,
	decided_by   text,
	decided_at   timestamptz,
	UNIQUE (carrier, account, file_sha256)
);

-- Every row of every imported file, as read (its cells decoded to UTF-8 and written
-- back as one CSV line), with what it parsed to or why it did not. COPY streams into
-- this table; a row takes part in reconciliation when its import is accepted, it has
-- no error and no earlier import already holds the same line (known_in). Rows are
-- written only by the import that owns them, in its transaction, so the reference to
-- bill_import is left to that code rather than checked a million times per file.
CREATE TABLE bill_row (
	import_id     bigint  NOT NULL,
	row_no        int     NOT NULL,
	raw           text    NOT NULL,
	error         text,
	waybill_no    text,
	ship_date     date,
	origin        text,
	destination   text,
	product       text,
	weight_g      bigint,
	charge_g      bigint,
	length_mm     bigint,
	width_mm      bigint,
	height_mm     bigint,
	freight_fen   bigint,
	insurance_fen bigint,
	receipt_fen   bigint,
	other_fen     bigint,
	total_fen     bigint,
	fingerprint   bytea,
	occurrence    int,
	known_in      bigint,
	PRIMARY KEY (import_id, row_no)
);

CREATE TABLE recon_run (
	id       bigserial   PRIMARY KEY,
	carrier  text        NOT NULL,
	account  text        NOT NULL,
	period   text        NOT NULL,
	actor    text        NOT NULL,
	at       timestamptz NOT NULL,
	lines    int         NOT NULL,
	unbilled int         NOT NULL,
	digest   bytea       NOT NULL
);

-- One result per bill line. A line names at most one waybill (the primary key), and a
-- waybill is claimed by at most one line across all periods (the partial unique
-- index); later lines for a claimed waybill are duplicates. Results are derived data,
-- rebuilt whole by each reconciliation under the account's lock from rows that exist
-- in the same snapshot, so foreign keys would only cost a check per line.
CREATE TABLE recon_line (
	import_id       bigint NOT NULL,
	row_no          int    NOT NULL,
	carrier         text   NOT NULL,
	account         text   NOT NULL,
	period          text   NOT NULL,
	waybill_id      bigint,
	class           text   NOT NULL,
	billed_fen      bigint NOT NULL,
	expected_fen    bigint,
	diff_fen        bigint,
	billed_charge_g bigint,
	expected_charge_g bigint,
	tariff_id       bigint,
	PRIMARY KEY (import_id, row_no)
);
CREATE UNIQUE INDEX recon_line_claims_waybill ON recon_line (waybill_id)
	WHERE waybill_id IS NOT NULL AND class NOT IN ('duplicate', 'credit');

-- Our waybills the carrier has not billed by the end of a period; they carry forward.
CREATE TABLE recon_unbilled (
	carrier      text   NOT NULL,
	account      text   NOT NULL,
	period       text   NOT NULL,
	waybill_id   bigint NOT NULL,
	expected_fen bigint,
	PRIMARY KEY (period, waybill_id)
);
CREATE INDEX recon_unbilled_account ON recon_unbilled (carrier, account, period);

CREATE TABLE dispute (
	id           bigserial   PRIMARY KEY,
	import_id    bigint      NOT NULL,
	row_no       int         NOT NULL,
	carrier      text        NOT NULL,
	account      text        NOT NULL,
	period       text        NOT NULL,
	waybill_no   text        NOT NULL,
	class        text        NOT NULL,
	reason       text        NOT NULL,
	evidence     jsonb       NOT NULL,
	billed_fen   bigint      NOT NULL,
	claim_fen    bigint      NOT NULL CHECK (claim_fen >= 0), -- what we ask back
	status       text        NOT NULL CHECK (status IN ('open', 'upheld', 'partly_upheld', 'rejected', 'settled')),
	agreed_fen   bigint      NOT NULL DEFAULT 0,               -- credit the carrier agreed to
	credited_fen bigint      NOT NULL DEFAULT 0,
	outcome_note text,
	created_by   text        NOT NULL,
	created_at   timestamptz NOT NULL,
	decided_by   text,
	decided_at   timestamptz,
	decided_period text,
	settled_period text,
	UNIQUE (import_id, row_no),
	FOREIGN KEY (import_id, row_no) REFERENCES bill_row (import_id, row_no)
);
CREATE INDEX dispute_account ON dispute (carrier, account, status);

CREATE TABLE credit (
	id         bigserial   PRIMARY KEY,
	dispute_id bigint      NOT NULL REFERENCES dispute (id),
	period     text        NOT NULL, -- the period whose bill carried the credit
	amount_fen bigint      NOT NULL CHECK (amount_fen > 0),
	reference  text        NOT NULL, -- bill line "import:row" or a credit note number
	created_by text        NOT NULL,
	created_at timestamptz NOT NULL,
	UNIQUE (dispute_id, reference)
);

CREATE TABLE period_close (
	period        text        PRIMARY KEY,
	status        text        NOT NULL CHECK (status IN ('prepared', 'closed')),
	prepared_by   text        NOT NULL,
	prepared_at   timestamptz NOT NULL,
	approved_by   text,
	approved_at   timestamptz,
	payable_fen   bigint      NOT NULL,
	summary       jsonb       NOT NULL,
	CHECK (approved_by IS NULL OR approved_by <> prepared_by)
);

-- Open items at the end of a closed or prepared period: the carry-forward.
CREATE TABLE close_item (
	period        text   NOT NULL,
	kind          text   NOT NULL CHECK (kind IN ('unbilled', 'dispute')),
	ref           bigint NOT NULL, -- waybill id or dispute id
	amount_fen    bigint NOT NULL,
	opened_period text   NOT NULL,
	PRIMARY KEY (period, kind, ref)
);

CREATE TABLE allocation (
	period     text   NOT NULL,
	carrier    text   NOT NULL,
	account    text   NOT NULL,
	case_id    uuid   NOT NULL,
	case_no    text   NOT NULL,
	hall       text   NOT NULL,
	department text   NOT NULL,
	amount_fen bigint NOT NULL,
	PRIMARY KEY (period, carrier, account, case_id)
);

CREATE TABLE statement (
	period  text  NOT NULL,
	kind    text  NOT NULL CHECK (kind IN ('carrier', 'city')),
	subject text  NOT NULL,
	format  text  NOT NULL CHECK (format IN ('csv', 'xlsx', 'html')),
	sha256  bytea NOT NULL,
	body    bytea NOT NULL,
	PRIMARY KEY (period, kind, subject, format)
);

-- Append-only and hash-chained: each row's hash covers the previous hash and the row,
-- so editing or removing a row breaks every later link. The trigger refuses UPDATE and
-- DELETE from anyone who does not drop it first.
CREATE TABLE audit_log (
	seq       bigint      PRIMARY KEY,
	at        timestamptz NOT NULL,
	actor     text        NOT NULL,
	action    text        NOT NULL,
	subject   text        NOT NULL,
	detail    text        NOT NULL,
	prev_hash bytea       NOT NULL,
	hash      bytea       NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
