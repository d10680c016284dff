package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Writes collects statements whose results nobody needs, to send them to the
// transaction in one round trip: a batch that writes many tables costs one wait
// for the server instead of one per table. pgx prepares every statement of a batch
// before it runs any, so no statement may need a table an earlier one creates.
type Writes struct {
	b    pgx.Batch
	what []string
}

// Add queues a statement; what names it in an error.
func (w *Writes) Add(what, sql string, args ...any) {
	w.b.Queue(sql, args...)
	w.what = append(w.what, what)
}

// Send runs the queued statements in tx, in order, and empties w.
func (w *Writes) Send(ctx context.Context, tx pgx.Tx) error {
	if len(w.what) == 0 {
		return nil
	}
	b, what := w.b, w.what
	*w = Writes{}
	br := tx.SendBatch(ctx, &b)
	for _, s := range what {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return br.Close()
}
