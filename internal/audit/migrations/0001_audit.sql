-- The audit log of one node: append-only, hash-chained (see package audit).
--
-- Rows are inserted with hash NULL inside the business transaction; the chainer later
-- fills chain_pos, prev_hash and hash. chain_pos is the row's place in the chain, which
-- equals seq order except for a row whose transaction committed so late that rows after
-- it were already chained: that row is chained at the tail, so order by chain_pos, not
-- seq, to walk the chain.
CREATE TABLE audit_log (
	seq       bigserial   PRIMARY KEY,
	at        timestamptz NOT NULL,
	actor     text        NOT NULL,
	role      text        NOT NULL DEFAULT '',
	action    text        NOT NULL,
	target    text        NOT NULL DEFAULT '',
	outcome   text        NOT NULL,
	detail    jsonb       NOT NULL DEFAULT '{}',
	chain_pos bigint      UNIQUE,
	prev_hash text,
	hash      text,
	CHECK ((chain_pos IS NULL) = (hash IS NULL) AND (hash IS NULL) = (prev_hash IS NULL))
);

-- The chainer's work queue: small, because rows leave it within seconds.
CREATE INDEX audit_log_unchained ON audit_log (seq) WHERE hash IS NULL;
CREATE INDEX audit_log_at ON audit_log (at);

-- One row per prune, never changed: the newest (highest chain_pos) is the anchor the
-- chain is verified from. The first row is the genesis anchor: position 0 and a hash of
-- 64 zeros. max_seq is the highest seq chained at prune time, which the chainer needs
-- once the rows that carried it are gone.
CREATE TABLE audit_anchor (
	chain_pos bigint      PRIMARY KEY,
	seq       bigint      NOT NULL,
	hash      text        NOT NULL,
	max_seq   bigint      NOT NULL,
	cutoff    timestamptz,
	pruned    bigint      NOT NULL DEFAULT 0,
	pruned_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_anchor (chain_pos, seq, hash, max_seq)
VALUES (0, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

-- audit_log is append-only at the database level:
--  * INSERT only of unchained rows (hash, prev_hash, chain_pos NULL);
--  * UPDATE only to chain a row: hash NULL before, set after, every other column equal.
--    This is the one exception to "rows never change", because hashing inside the
--    business transaction would serialise every transaction on the chain head;
--  * DELETE only by audit_prune (which sets tongban.audit_prune for its own statement)
--    and only of chained rows at or before the anchor it has just moved, so pruning
--    always leaves a chain that verifies from the anchor;
--  * TRUNCATE never.
-- A table owner can still disable the trigger; Verify catches what that changes, and the
-- chain head can be exported elsewhere for stronger guarantees.
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		IF NEW.hash IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.chain_pos IS NOT NULL THEN
			RAISE EXCEPTION 'audit_log is append-only: rows are inserted unchained'
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		RETURN NEW;
	ELSIF TG_OP = 'UPDATE' THEN
		IF OLD.hash IS NULL AND NEW.hash IS NOT NULL
			AND (NEW.seq, NEW.at, NEW.actor, NEW.role, NEW.action, NEW.target, NEW.outcome, NEW.detail)
				IS NOT DISTINCT FROM
				(OLD.seq, OLD.at, OLD.actor, OLD.role, OLD.action, OLD.target, OLD.outcome, OLD.detail) THEN
			RETURN NEW;
		END IF;
		RAISE EXCEPTION 'audit_log is append-only: row % cannot be changed', OLD.seq
			USING ERRCODE = 'insufficient_privilege';
	ELSIF TG_OP = 'DELETE' THEN
		IF current_setting('tongban.audit_prune', true) = 'on' AND OLD.hash IS NOT NULL
			AND OLD.chain_pos <= (SELECT max(chain_pos) FROM audit_anchor) THEN
			RETURN OLD;
		END IF;
		RAISE EXCEPTION 'audit_log is append-only: row % can only be removed by retention (audit_prune)', OLD.seq
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

-- Anchors are only added, by audit_prune, and only forward, onto a chained row that
-- exists: an anchor cannot be forged to hide deleted rows.
CREATE FUNCTION audit_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' AND current_setting('tongban.audit_prune', true) = 'on'
		AND NEW.chain_pos > (SELECT max(chain_pos) FROM audit_anchor)
		AND EXISTS (SELECT 1 FROM audit_log l
			WHERE l.chain_pos = NEW.chain_pos AND l.seq = NEW.seq AND l.hash = NEW.hash) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_anchor is append-only and written only by audit_prune'
		USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_anchor_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_anchor
	FOR EACH ROW EXECUTE FUNCTION audit_anchor_guard();
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor
	FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_guard();

-- audit_prune is the retention path: it removes the longest prefix of the chain (in
-- chain order, from the anchor) whose rows are all older than cutoff, after recording
-- the last removed row as the new anchor, all in the caller's transaction. Unchained
-- rows are never removed. Returns the number of rows removed.
CREATE FUNCTION audit_prune(cutoff timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	anchor_pos bigint;
	stop_pos   bigint;
	last       audit_log%ROWTYPE;
	top_seq    bigint;
	n          bigint;
BEGIN
	SELECT max(chain_pos) INTO anchor_pos FROM audit_anchor;
	SELECT min(chain_pos) INTO stop_pos FROM audit_log
		WHERE hash IS NOT NULL AND chain_pos > anchor_pos AND at >= cutoff;
	SELECT * INTO last FROM audit_log
		WHERE hash IS NOT NULL AND chain_pos > anchor_pos AND (stop_pos IS NULL OR chain_pos < stop_pos)
		ORDER BY chain_pos DESC LIMIT 1;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	SELECT greatest(max(l.seq), (SELECT max(max_seq) FROM audit_anchor)) INTO top_seq
		FROM audit_log l WHERE l.hash IS NOT NULL;
	PERFORM set_config('tongban.audit_prune', 'on', true);
	INSERT INTO audit_anchor (chain_pos, seq, hash, max_seq, cutoff, pruned)
		VALUES (last.chain_pos, last.seq, last.hash, top_seq, cutoff, last.chain_pos - anchor_pos);
	DELETE FROM audit_log WHERE hash IS NOT NULL AND chain_pos > anchor_pos AND chain_pos <= last.chain_pos;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('tongban.audit_prune', 'off', true);
	RETURN n;
END $$;
