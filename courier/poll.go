package courier

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The polling backstop. Pushes get lost (a callback URL down for longer than the
// carrier retries, a subscription kuaidi100 gave up on), so parcels that have shown
// no progress for a while are asked about directly. Only the origin tracks: it owns
// the case until delivery.

// onTheirWay are the origin parcels with a waybill whose status is not final
// (tracking: a column the database keeps from status), through the parcels_tracking
// index; their number follows the parcels in transit, not the hall's history.
const onTheirWay = `tracking AND role = 'origin' AND waybill IS NOT NULL`

// StaleParcels lists origin parcels with a waybill, still on their way, with no
// progress and no poll for staleAfter.
func StaleParcels(ctx context.Context, db DB, now time.Time, staleAfter time.Duration, limit int) ([]Parcel, error) {
	cut := now.Add(-staleAfter)
	return collectParcels(db.Query(ctx, `SELECT `+parcelCols+` FROM parcels
		WHERE `+onTheirWay+` AND order_state IN ('placed', 'manual')
		AND progress_at < $1 AND (polled_at IS NULL OR polled_at < $1)
		ORDER BY coalesce(polled_at, progress_at) LIMIT $2`, cut, limit))
}

// MarkPolled records that the parcels were just asked about.
func MarkPolled(ctx context.Context, db DB, ids []uuid.UUID, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE parcels SET polled_at = $2 WHERE id = ANY($1)`, ids, now); err != nil {
		return fmt.Errorf("courier: mark polled: %w", err)
	}
	return nil
}

// LostParcels lists origin parcels on their way with no progress for lostAfter and
// no lost incident yet.
func LostParcels(ctx context.Context, db DB, now time.Time, lostAfter time.Duration, limit int) ([]Parcel, error) {
	return collectParcels(db.Query(ctx, `SELECT `+parcelCols+` FROM parcels p
		WHERE `+onTheirWay+` AND order_state IN ('placed', 'manual')
		AND progress_at < $1
		AND NOT EXISTS (SELECT 1 FROM parcel_incidents i WHERE i.parcel_id = p.id AND i.kind = 'lost')
		ORDER BY progress_at LIMIT $2`, now.Add(-lostAfter), limit))
}

// Resubscriptions lists parcels whose tracking subscription must be made again.
func Resubscriptions(ctx context.Context, db DB, limit int) ([]Parcel, error) {
	return collectParcels(db.Query(ctx, `SELECT `+parcelCols+` FROM parcels
		WHERE `+onTheirWay+` AND subscription IN ('aborted', 'failed')
		ORDER BY id LIMIT $1`, limit))
}
