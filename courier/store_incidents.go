package courier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Incident kinds.
const (
	IncidentProxy       = "delivered_proxy"
	IncidentLocker      = "delivered_locker"
	IncidentReturned    = "returned"
	IncidentLost        = "lost"
	IncidentOrderFailed = "order_failed"
)

// Resolutions staff may choose.
const (
	ResolveResend = "resend"
	ResolveNotify = "notify_applicant"
	ResolveClose  = "close"
)

// NextActions are the resolutions offered for an incident kind: a parcel that will
// not arrive can be sent again and the applicant told; a proxy or locker delivery is
// usually settled by fetching it and signing for it, then closing.
func NextActions(kind string) []string {
	switch kind {
	case IncidentReturned, IncidentLost, IncidentOrderFailed:
		return []string{ResolveResend, ResolveNotify, ResolveClose}
	}
	return []string{ResolveNotify, ResolveClose}
}

// Incident is a parcel problem waiting for staff.
type Incident struct {
	ID          uuid.UUID      `json:"id"`
	ParcelID    uuid.UUID      `json:"parcel_id"`
	CaseID      uuid.UUID      `json:"case_id"`
	CaseNo      string         `json:"case_no"`
	Kind        string         `json:"kind"`
	State       string         `json:"state"`
	Detail      map[string]any `json:"detail"`
	OpenedAt    time.Time      `json:"opened_at"`
	ResolvedAt  *time.Time     `json:"resolved_at,omitempty"`
	ResolvedBy  string         `json:"resolved_by,omitempty"`
	Resolution  string         `json:"resolution,omitempty"`
	Note        string         `json:"note,omitempty"`
	NextActions []string       `json:"next_actions"`
}

// ErrIncidentClosed is returned when resolving an incident already resolved.
var ErrIncidentClosed = errors.New("courier: incident already resolved")

// ErrNoIncident is returned for an incident this hall does not hold.
var ErrNoIncident = errors.New("courier: no such incident")

// OpenIncident opens an incident of a kind for a parcel; a parcel has at most one of
// each kind, so a replayed event does not open it twice. opened reports whether it
// is new.
func OpenIncident(ctx context.Context, db DB, p Parcel, kind string, detail map[string]any, at time.Time) (uuid.UUID, bool, error) {
	id, _ := uuid.NewV7()
	if detail == nil {
		detail = map[string]any{}
	}
	tag, err := db.Exec(ctx, `INSERT INTO parcel_incidents (id, parcel_id, case_id, case_no, kind, detail, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (parcel_id, kind) DO NOTHING`, id, p.ID, p.CaseID, p.CaseNo, kind, detail, at)
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("courier: open incident: %w", err)
	}
	return id, tag.RowsAffected() == 1, nil
}

const incidentCols = `id, parcel_id, case_id, case_no, kind, state, detail, opened_at, resolved_at, coalesce(resolved_by, ''),
	coalesce(resolution, ''), note`

func scanIncident(row pgx.Row) (Incident, error) {
	var i Incident
	err := row.Scan(&i.ID, &i.ParcelID, &i.CaseID, &i.CaseNo, &i.Kind, &i.State, &i.Detail, &i.OpenedAt, &i.ResolvedAt,
		&i.ResolvedBy, &i.Resolution, &i.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return i, ErrNoIncident
	}
	i.NextActions = []string{}
	if i.State == "open" {
		i.NextActions = NextActions(i.Kind)
	}
	return i, err
}

// IncidentFilter narrows ListIncidents; zero values match everything.
type IncidentFilter struct {
	State  string
	CaseID uuid.UUID
	Limit  int
}

// ListIncidents lists incidents, newest first.
func ListIncidents(ctx context.Context, db DB, f IncidentFilter) ([]Incident, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var caseID *uuid.UUID
	if f.CaseID != uuid.Nil {
		caseID = &f.CaseID
	}
	rows, err := db.Query(ctx, `SELECT `+incidentCols+` FROM parcel_incidents
		WHERE ($1 = '' OR state = $1) AND ($2::uuid IS NULL OR case_id = $2) ORDER BY opened_at DESC, id DESC LIMIT $3`,
		f.State, caseID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("courier: incidents: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// GetIncident reads one incident.
func GetIncident(ctx context.Context, db DB, id uuid.UUID) (Incident, error) {
	return scanIncident(db.QueryRow(ctx, `SELECT `+incidentCols+` FROM parcel_incidents WHERE id = $1`, id))
}

// LockIncident reads an incident FOR UPDATE.
func LockIncident(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Incident, error) {
	return scanIncident(tx.QueryRow(ctx, `SELECT `+incidentCols+` FROM parcel_incidents WHERE id = $1 FOR UPDATE`, id))
}

// ResolveIncident closes an open incident with the staff member's choice.
func ResolveIncident(ctx context.Context, db DB, id uuid.UUID, resolution, by, note string, at time.Time) error {
	tag, err := db.Exec(ctx, `UPDATE parcel_incidents SET state = 'resolved', resolution = $2, resolved_by = $3, note = $4, resolved_at = $5
		WHERE id = $1 AND state = 'open'`, id, resolution, by, note, at)
	if err != nil {
		return fmt.Errorf("courier: resolve incident: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrIncidentClosed
	}
	return nil
}
