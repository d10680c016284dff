-- Reconciliation results move into the bill rows they belong to. A result is one per
-- line, so it is a set of columns of bill_row rather than a second row of its own:
-- the import classifies each line while it streams in and writes the result in the
-- same COPY, and a reconciliation publishes an import's results by flagging the
-- import, rewriting only the lines whose result changed. The difference from the
-- expected fee is not stored: it is the billed amount less the expected. recon_line stays, as a view
-- of the published results with the columns it always had.
ALTER TABLE bill_row
	ADD COLUMN res_waybill_id        bigint,
	ADD COLUMN res_class             text,
	ADD COLUMN res_expected_fen      bigint,
	ADD COLUMN res_expected_charge_g bigint,
	ADD COLUMN res_tariff_id         bigint;

-- published: the import's results are the current reconciliation of its period.
-- pre_stamp, pre_summary and pre_unbilled describe results that are valid as long as
-- settlement_stamp still reads pre_stamp: what a reconciliation would produce, so it
-- can publish them without classifying again (NULL when there are none).
ALTER TABLE bill_import
	ADD COLUMN published    boolean NOT NULL DEFAULT false,
	ADD COLUMN pre_stamp    bigint,
	ADD COLUMN pre_summary  jsonb,
	ADD COLUMN pre_unbilled bytea;

UPDATE bill_row r SET res_waybill_id = l.waybill_id, res_class = l.class, res_expected_fen = l.expected_fen,
	res_expected_charge_g = l.expected_charge_g, res_tariff_id = l.tariff_id
FROM recon_line l WHERE l.import_id = r.import_id AND l.row_no = r.row_no;
UPDATE bill_import SET published = true WHERE id IN (SELECT DISTINCT import_id FROM recon_line);
DROP TABLE recon_line;

-- One result per bill line of a published import. A waybill is claimed by at most one
-- line across all periods: reconciliation checks it under the carrier's lock before it
-- publishes (a unique index cannot see which imports are published).
CREATE VIEW recon_line AS
SELECT r.import_id, r.row_no, i.carrier, i.account, i.period, r.res_waybill_id AS waybill_id, r.res_class AS class,
       r.total_fen AS billed_fen, r.res_expected_fen AS expected_fen, r.total_fen - r.res_expected_fen AS diff_fen,
       coalesce(r.charge_g, 0) AS billed_charge_g, r.res_expected_charge_g AS expected_charge_g, r.res_tariff_id AS tariff_id
FROM bill_row r JOIN bill_import i ON i.id = r.import_id
WHERE i.published AND r.res_class IS NOT NULL AND r.error IS NULL AND r.known_in IS NULL;

-- A counter that moves whenever something a classification depends on may have
-- changed: the ledger, the tariffs, which periods are closed (by triggers) and which
-- results are published (by reconciliation). Results computed at one value are still
-- right while it reads the same.
CREATE TABLE settlement_stamp (
	id      int    PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL
);
INSERT INTO settlement_stamp VALUES (1, 1);

CREATE FUNCTION settlement_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE settlement_stamp SET version = version + 1 WHERE id = 1;
	RETURN NULL;
END $$;
CREATE TRIGGER waybill_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON waybill
	FOR EACH STATEMENT EXECUTE FUNCTION settlement_stamp_bump();
CREATE TRIGGER tariff_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tariff
	FOR EACH STATEMENT EXECUTE FUNCTION settlement_stamp_bump();
CREATE TRIGGER period_closed_stamp AFTER INSERT ON period_close
	FOR EACH ROW WHEN (NEW.status = 'closed') EXECUTE FUNCTION settlement_stamp_bump();
CREATE TRIGGER period_closed_change_stamp AFTER UPDATE ON period_close
	FOR EACH ROW WHEN (OLD.status = 'closed' OR NEW.status = 'closed') EXECUTE FUNCTION settlement_stamp_bump();
CREATE TRIGGER period_reopened_stamp AFTER DELETE ON period_close
	FOR EACH ROW WHEN (OLD.status = 'closed') EXECUTE FUNCTION settlement_stamp_bump();
