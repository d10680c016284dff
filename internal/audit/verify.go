package audit

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Report is the outcome of Verify.
type Report struct {
	OK          bool
	Checked     int64  // chained rows checked
	FirstBroken int64  // seq of the first row whose link does not hold; 0 if none
	Reason      string // why it is broken; empty if OK
	Unchained   int64  // rows not chained yet (normally a few seconds' worth)
	Anchor      int64  // chain position verification started from (0: never pruned)
	Head        string // hash of the last chained row: record it elsewhere to detect a rewritten chain
}

// Verify recomputes the chain from the anchor in one consistent snapshot and reports the
// first broken link: a changed row (its hash no longer matches its contents), a row
// removed or inserted (chain positions or prev_hash do not follow on), or a changed
// hash. An error means the check could not run, not that the chain is broken.
func Verify(ctx context.Context, pool *pgxpool.Pool) (Report, error) {
	var rep Report
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var prev string
		if err := tx.QueryRow(ctx, `SELECT chain_pos, hash FROM audit_anchor ORDER BY chain_pos DESC LIMIT 1`).Scan(&rep.Anchor, &prev); err != nil {
			return fmt.Errorf("audit: verify: anchor: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE hash IS NULL`).Scan(&rep.Unchained); err != nil {
			return fmt.Errorf("audit: verify: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+rowColumns+`, chain_pos, prev_hash, hash FROM audit_log
			WHERE hash IS NOT NULL ORDER BY chain_pos`)
		if err != nil {
			return fmt.Errorf("audit: verify: %w", err)
		}
		defer rows.Close()
		pos := rep.Anchor
		var r row
		var prevHash, hash string
		for rows.Next() {
			if err := rows.Scan(&r.seq, &r.at, &r.actor, &r.role, &r.action, &r.target, &r.outcome, &r.detail,
				&r.chainPos, &prevHash, &hash); err != nil {
				return fmt.Errorf("audit: verify: %w", err)
			}
			switch {
			case r.chainPos != pos+1:
				rep.Reason = fmt.Sprintf("chain position %d follows %d: rows are missing", r.chainPos, pos)
			case prevHash != prev:
				rep.Reason = "prev_hash does not match the hash of the row before it"
			case chainHash(prev, r) != hash:
				rep.Reason = "row contents do not match its hash: the row was changed"
			}
			if rep.Reason != "" {
				rep.FirstBroken = r.seq
				return nil
			}
			rep.Checked++
			pos, prev = r.chainPos, hash
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("audit: verify: %w", err)
		}
		rep.OK, rep.Head = true, prev
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}
