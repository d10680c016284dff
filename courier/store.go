package courier

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tongban/tongban/internal/pg"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the tracking store's tables, domain "courier". They live in the
// hall's database beside the cases, so a courier event and the case move it causes
// can share a transaction.
func Migrations() pg.Source {
	return pg.Source{Domain: "courier", FS: migrationFS, Dir: "migrations"}
}

// DB is what the store needs from a pool or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrNoParcel is returned for a parcel this hall does not hold.
var ErrNoParcel = errors.New("courier: no such parcel")

// Roles of a parcel at a hall. The origin ships it, orders it and tracks it; the
// destination knows it from the partner's messages and signs for it.
const (
	RoleOrigin      = "origin"
	RoleDestination = "destination"
)

// Order states. pending waits for the order worker; manual carries a waybill the
// clerk typed; remote is the destination's copy, whose order is the partner's.
const (
	OrderPending = "pending"
	OrderPlaced  = "placed"
	OrderManual  = "manual"
	OrderFailed  = "failed"
	OrderVoided  = "voided"
	OrderRemote  = "remote"
)

// Parcel is one parcel of a case as this hall tracks it.
type Parcel struct {
	ID            uuid.UUID  `json:"id"`
	CaseID        uuid.UUID  `json:"case_id"`
	CaseNo        string     `json:"case_no"`
	ParcelNo      int        `json:"parcel_no"`
	Role          string     `json:"role"`
	Carrier       string     `json:"carrier"`
	OrderID       string     `json:"order_id"`
	Waybill       string     `json:"waybill,omitempty"`
	OrderState    string     `json:"order_state"`
	OrderAttempts int        `json:"order_attempts"`
	OrderError    string     `json:"order_error,omitempty"`
	QuotedFeeFen  int64      `json:"quoted_fee_fen"`
	Status        Status     `json:"status"`
	RawCode       string     `json:"raw_code"`
	LastEventAt   *time.Time `json:"last_event_at,omitempty"`
	ProgressAt    time.Time  `json:"progress_at"`
	PolledAt      *time.Time `json:"polled_at,omitempty"`
	PendingMove   string     `json:"pending_move,omitempty"`
	Subscription  string     `json:"subscription"`
	TrackCompany  string     `json:"track_company,omitempty"`
	CustodySeq    int        `json:"custody_links"`
	CreatedAt     time.Time  `json:"created_at"`
}

const parcelCols = `id, case_id, case_no, parcel_no, role, carrier, order_id, coalesce(waybill, ''), order_state,
	order_attempts, coalesce(order_error, ''), quoted_fee_fen, status, raw_code, last_event_at, progress_at, polled_at,
	coalesce(pending_move, ''), subscription, track_company, custody_seq, created_at`

func scanParcel(row pgx.Row) (Parcel, error) {
	var p Parcel
	var st string
	err := row.Scan(&p.ID, &p.CaseID, &p.CaseNo, &p.ParcelNo, &p.Role, &p.Carrier, &p.OrderID, &p.Waybill, &p.OrderState,
		&p.OrderAttempts, &p.OrderError, &p.QuotedFeeFen, &st, &p.RawCode, &p.LastEventAt, &p.ProgressAt, &p.PolledAt,
		&p.PendingMove, &p.Subscription, &p.TrackCompany, &p.CustodySeq, &p.CreatedAt)
	p.Status = Status(st)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNoParcel
	}
	return p, err
}

func collectParcels(rows pgx.Rows, err error) ([]Parcel, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Parcel{}
	for rows.Next() {
		p, err := scanParcel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// NewParcel is what CreateParcel needs.
type NewParcel struct {
	CaseID     uuid.UUID
	CaseNo     string
	ParcelNo   int
	Role       string
	Carrier    string
	Waybill    string // empty until ordered
	OrderState string
	At         time.Time
}

// CreateParcel inserts a parcel, or returns the one the case already has under that
// parcel number: a replayed dispatch must not make a second parcel.
func CreateParcel(ctx context.Context, db DB, np NewParcel) (Parcel, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Parcel{}, fmt.Errorf("courier: create parcel: %w", err)
	}
	if np.ParcelNo == 0 {
		np.ParcelNo = 1
	}
	var wb *string
	if np.Waybill != "" {
		wb = &np.Waybill
	}
	var next *time.Time
	if np.OrderState == OrderPending {
		next = &np.At
	}
	_, err = db.Exec(ctx, `INSERT INTO parcels (id, case_id, case_no, parcel_no, role, carrier, order_id, waybill, order_state,
		next_attempt_at, progress_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) ON CONFLICT (case_id, parcel_no) DO NOTHING`,
		id, np.CaseID, np.CaseNo, np.ParcelNo, np.Role, np.Carrier, OrderID(np.CaseID.String(), fmt.Sprint(np.ParcelNo)),
		wb, np.OrderState, next, np.At)
	if err != nil {
		return Parcel{}, fmt.Errorf("courier: create parcel: %w", err)
	}
	return scanParcel(db.QueryRow(ctx, `SELECT `+parcelCols+` FROM parcels WHERE case_id = $1 AND parcel_no = $2`, np.CaseID, np.ParcelNo))
}

// GetParcel reads one parcel.
func GetParcel(ctx context.Context, db DB, id uuid.UUID) (Parcel, error) {
	return scanParcel(db.QueryRow(ctx, `SELECT `+parcelCols+` FROM parcels WHERE id = $1`, id))
}

// LockParcel reads one parcel FOR UPDATE.
func LockParcel(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Parcel, error) {
	return scanParcel(tx.QueryRow(ctx, `SELECT `+parcelCols+` FROM parcels WHERE id = $1 FOR UPDATE`, id))
}

// ParcelsOfCase lists a case's parcels, first parcel first.
func ParcelsOfCase(ctx context.Context, db DB, caseID uuid.UUID) ([]Parcel, error) {
	return collectParcels(db.Query(ctx, `SELECT `+parcelCols+` FROM parcels WHERE case_id = $1 ORDER BY parcel_no`, caseID))
}

// LatestParcel is the case's newest parcel, the one a resend replaced the others by.
func LatestParcel(ctx context.Context, db DB, caseID uuid.UUID) (Parcel, error) {
	return scanParcel(db.QueryRow(ctx, `SELECT `+parcelCols+` FROM parcels WHERE case_id = $1 ORDER BY parcel_no DESC LIMIT 1`, caseID))
}

// SetWaybill records the waybill of a parcel whose number came from elsewhere (the
// partner's message, a clerk). It never replaces a different waybill.
func SetWaybill(ctx context.Context, db DB, id uuid.UUID, waybill string, at time.Time) error {
	_, err := db.Exec(ctx, `UPDATE parcels SET waybill = $2, updated_at = $3 WHERE id = $1 AND waybill IS NULL`, id, waybill, at)
	if err != nil {
		return fmt.Errorf("courier: set waybill: %w", err)
	}
	return nil
}

// StoredEvent is an event as the store keeps it.
type StoredEvent struct {
	Event
	ParcelID   uuid.UUID `json:"parcel_id"`
	Source     string    `json:"source"`
	ReceivedAt time.Time `json:"received_at"`
}

// EventsOf lists the events of the parcels, oldest first.
func EventsOf(ctx context.Context, db DB, parcelIDs []uuid.UUID) ([]StoredEvent, error) {
	// Through the parcels' waybills, the leading column of the events' key.
	rows, err := db.Query(ctx, `SELECT e.parcel_id, e.carrier, e.waybill, e.status, e.raw_code, e.raw_text, e.at, e.location, e.source, e.received_at
		FROM parcels p JOIN parcel_events e ON e.waybill = p.waybill AND e.parcel_id = p.id
		WHERE p.id = ANY($1) ORDER BY e.parcel_id, e.at, e.raw_code`, parcelIDs)
	if err != nil {
		return nil, fmt.Errorf("courier: events: %w", err)
	}
	defer rows.Close()
	out := []StoredEvent{}
	for rows.Next() {
		var e StoredEvent
		var st string
		if err := rows.Scan(&e.ParcelID, &e.Carrier, &e.Waybill, &st, &e.RawCode, &e.RawText, &e.At, &e.Location, &e.Source, &e.ReceivedAt); err != nil {
			return nil, err
		}
		e.Status = Status(st)
		out = append(out, e)
	}
	return out, rows.Err()
}
