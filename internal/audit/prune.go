package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MinRetention is the shortest retention 等保 level 3 allows for audit records.
const MinRetention = 180 * 24 * time.Hour

// Prune deletes chained rows older than olderThan and returns how many. It removes the
// longest run of the chain, from the anchor on, whose rows are all older than the cutoff,
// and records the last removed row as the new anchor, in one transaction through
// audit_prune, the only way the database lets rows go. Verification then starts from
// the new anchor. Unchained rows are kept. Choosing olderThan (now minus at least
// MinRetention) is the caller's configuration.
func Prune(ctx context.Context, pool *pgxpool.Pool, olderThan time.Time) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Wait for a chainer pass to finish, so the head it read is not pruned under it.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, chainLock); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT audit_prune($1)`, olderThan.UTC()).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	return n, nil
}
