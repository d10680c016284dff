package courier

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/pg"
)

// Orders are placed by a worker, outside the dispatch transaction: the carrier is
// slow and may be down, and the case must reach the partner hall regardless. A parcel
// waits in order_state pending; the worker claims it with a lease (so a crashed
// worker's claim lapses), calls the carrier, and records the answer. Retrying is safe
// only because the order id is derived from the case and parcel and the adapters look
// an order up before creating it again.

// ClaimOrders leases up to limit pending orders that are due.
func ClaimOrders(ctx context.Context, db DB, now time.Time, lease time.Duration, limit int) ([]Parcel, error) {
	return collectParcels(db.Query(ctx, `UPDATE parcels SET next_attempt_at = $2, order_attempts = order_attempts + 1
		WHERE id IN (SELECT id FROM parcels WHERE order_state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+parcelCols, now, now.Add(lease), limit))
}

// MarkOrderPlaced records the carrier's order inside tx. It reports false when the parcel
// is no longer pending (another worker finished it, or it was voided).
func MarkOrderPlaced(ctx context.Context, tx pgx.Tx, id uuid.UUID, o Order, now time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE parcels SET waybill = $2, quoted_fee_fen = $3, order_state = 'placed', order_error = NULL,
		next_attempt_at = NULL, progress_at = $4, updated_at = $4 WHERE id = $1 AND order_state = 'pending'`, id, o.Waybill, o.QuotedFeeFen, now)
	if err != nil {
		return false, fmt.Errorf("courier: order placed: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RetryOrderLater keeps the order pending and sets when to try again.
func RetryOrderLater(ctx context.Context, db DB, id uuid.UUID, cause error, next time.Time) error {
	_, err := db.Exec(ctx, `UPDATE parcels SET order_error = $2, next_attempt_at = $3, updated_at = now()
		WHERE id = $1 AND order_state = 'pending'`, id, cause.Error(), next)
	if err != nil {
		return fmt.Errorf("courier: order retry: %w", err)
	}
	return nil
}

// MarkOrderFailed gives up on an order the carrier refused for good.
func MarkOrderFailed(ctx context.Context, tx pgx.Tx, id uuid.UUID, cause error, now time.Time) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE parcels SET order_state = 'failed', order_error = $2, next_attempt_at = NULL, updated_at = $3
		WHERE id = $1 AND order_state = 'pending'`, id, cause.Error(), now)
	if err != nil {
		return false, fmt.Errorf("courier: order failed: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// VoidParcel marks a parcel's order cancelled at the carrier.
func VoidParcel(ctx context.Context, tx pgx.Tx, id uuid.UUID, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE parcels SET order_state = 'voided', status = 'cancelled', pending_move = NULL,
		next_attempt_at = NULL, updated_at = $2 WHERE id = $1`, id, now)
	if err != nil {
		return fmt.Errorf("courier: void parcel: %w", err)
	}
	return nil
}

// SetSubscription records the state of a parcel's tracking subscription.
func SetSubscription(ctx context.Context, db DB, id uuid.UUID, state, company string) error {
	_, err := db.Exec(ctx, `UPDATE parcels SET subscription = $2, track_company = CASE WHEN $3 = '' THEN track_company ELSE $3 END,
		updated_at = now() WHERE id = $1`, id, state, company)
	if err != nil {
		return fmt.Errorf("courier: subscription: %w", err)
	}
	return nil
}

// ClearPendingMoves marks the case moves the parcels owed as made (or found
// stale), in one statement. It clears only the stage each parcel was read with, so a
// higher stage owed meanwhile stays.
func ClearPendingMoves(ctx context.Context, db DB, parcels []Parcel) error {
	ids := make([]uuid.UUID, len(parcels))
	stages := make([]string, len(parcels))
	for i, p := range parcels {
		ids[i], stages[i] = p.ID, p.PendingMove
	}
	_, err := db.Exec(ctx, `UPDATE parcels p SET pending_move = NULL FROM unnest($1::uuid[], $2::text[]) AS u(id, stage)
		WHERE p.id = u.id AND p.id = ANY($1) AND p.pending_move = u.stage`, pg.UUIDs(ids), stages)
	if err != nil {
		return fmt.Errorf("courier: clear pending moves: %w", err)
	}
	return nil
}

// PendingMoves lists origin parcels that owe their case a move.
func PendingMoves(ctx context.Context, db DB, limit int) ([]Parcel, error) {
	return collectParcels(db.Query(ctx, `SELECT `+parcelCols+` FROM parcels WHERE pending_move IS NOT NULL AND role = 'origin'
		ORDER BY id LIMIT $1`, limit))
}
