package settlement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Waybill is one entry of the ledger.
type Waybill struct {
	ID                  int64      `json:"id"`
	Carrier             string     `json:"carrier"`
	Waybill             string     `json:"waybill"`
	Product             string     `json:"product"`
	Account             string     `json:"account"`
	OriginDivision      string     `json:"origin_division"`
	DestinationDivision string     `json:"destination_division"`
	WeightG             int64      `json:"weight_g"`
	LengthMM            int64      `json:"length_mm"`
	WidthMM             int64      `json:"width_mm"`
	HeightMM            int64      `json:"height_mm"`
	Insured             bool       `json:"insured"`
	DeclaredValueFen    int64      `json:"declared_value_fen"`
	ReturnReceipt       bool       `json:"return_receipt"`
	QuotedFeeFen        int64      `json:"quoted_fee_fen"`
	CaseID              string     `json:"case_id"`
	CaseNo              string     `json:"case_no"`
	Hall                string     `json:"hall"`
	Department          string     `json:"department"`
	CreatedAt           time.Time  `json:"created_at"`
	Period              string     `json:"period"`
	VoidedAt            *time.Time `json:"voided_at,omitempty"`
}

func (w Waybill) parcel() Parcel {
	return Parcel{Carrier: w.Carrier, Product: w.Product, Account: w.Account, OriginDivision: w.OriginDivision,
		DestDivision: w.DestinationDivision, WeightG: w.WeightG, LengthMM: w.LengthMM, WidthMM: w.WidthMM, HeightMM: w.HeightMM,
		Insured: w.Insured, DeclaredValueFen: w.DeclaredValueFen, ReturnReceipt: w.ReturnReceipt, CreatedAt: w.CreatedAt}
}

const waybillCols = `w.id, w.carrier, w.waybill_no, w.product, w.account, w.origin_division, w.destination_division, w.weight_g,
	w.length_mm, w.width_mm, w.height_mm, w.insured, w.declared_value_fen, w.return_receipt, w.quoted_fee_fen, w.case_id::text,
	w.case_no, w.hall, w.department, w.created_at, w.period, w.voided_at`

func scanWaybill(r pgx.CollectableRow) (Waybill, error) {
	var w Waybill
	err := r.Scan(&w.ID, &w.Carrier, &w.Waybill, &w.Product, &w.Account, &w.OriginDivision, &w.DestinationDivision, &w.WeightG,
		&w.LengthMM, &w.WidthMM, &w.HeightMM, &w.Insured, &w.DeclaredValueFen, &w.ReturnReceipt, &w.QuotedFeeFen, &w.CaseID,
		&w.CaseNo, &w.Hall, &w.Department, &w.CreatedAt, &w.Period, &w.VoidedAt)
	return w, err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (n *Node) waybillsWhere(ctx context.Context, q querier, where string, args ...any) ([]Waybill, error) {
	rows, err := q.Query(ctx, `SELECT `+waybillCols+` FROM waybill w WHERE `+where+` ORDER BY w.id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanWaybill)
}

// FindWaybill looks a waybill up by carrier and number (any spelling).
func (n *Node) FindWaybill(ctx context.Context, carrier, number string) (Waybill, error) {
	ws, err := n.waybillsWhere(ctx, n.db, `w.carrier = $1 AND w.waybill_no = $2`, carrier, NormaliseWaybill(number))
	if err != nil {
		return Waybill{}, fmt.Errorf("settlement: find waybill: %w", err)
	}
	if len(ws) == 0 {
		return Waybill{}, ErrNotFound
	}
	return ws[0], nil
}

// ListWaybills lists a carrier account's waybills of a period, after id after.
func (n *Node) ListWaybills(ctx context.Context, carrier, account string, period Period, after int64, limit int) ([]Waybill, error) {
	rows, err := n.db.Query(ctx, `SELECT `+waybillCols+` FROM waybill w WHERE ($1 = '' OR w.carrier = $1) AND ($2 = '' OR w.account = $2)
		AND ($3 = '' OR w.period = $3) AND w.id > $4 ORDER BY w.id LIMIT $5`, carrier, account, string(period), after, limit)
	if err != nil {
		return nil, fmt.Errorf("settlement: list waybills: %w", err)
	}
	ws, err := pgx.CollectRows(rows, scanWaybill)
	if err != nil {
		return nil, fmt.Errorf("settlement: list waybills: %w", err)
	}
	return ws, nil
}

// WaybillFee is the expected fee of one of our waybills with its trace.
func (n *Node) WaybillFee(ctx context.Context, carrier, number string) (Fee, error) {
	w, err := n.FindWaybill(ctx, carrier, number)
	if err != nil {
		return Fee{}, err
	}
	ts, err := loadTariffs(ctx, n.db, carrier)
	if err != nil {
		return Fee{}, fmt.Errorf("settlement: waybill fee: %w", err)
	}
	t := ts.pick(w.Carrier, w.Product, w.Account, w.CreatedAt)
	if t == nil {
		return Fee{}, ErrNoTariff
	}
	return ExpectedFee(t, w.parcel())
}

// ledgerConflict is a waybill event the ledger cannot take as it is.
type ledgerConflict struct{ reason, detail string }

func (e *ledgerConflict) Error() string { return e.reason + ": " + e.detail }

// applyWaybill records a created or voided waybill inside tx. A repeat of a creation
// with the same content is a no-op; a different content for the same carrier and
// number is a conflict for an operator, not a silent overwrite.
func (n *Node) applyWaybill(ctx context.Context, tx pgx.Tx, typ, envelopeID string, ev WaybillEvent) error {
	no := NormaliseWaybill(ev.Waybill)
	if typ == TypeWaybillVoided {
		tag, err := tx.Exec(ctx, `UPDATE waybill SET voided_at = coalesce(voided_at, $3) WHERE carrier = $1 AND waybill_no = $2 AND case_id = $4`,
			ev.Carrier, no, ev.VoidedAt.UTC(), ev.CaseID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return &ledgerConflict{"unknown_waybill", fmt.Sprintf("void of %s %s for a case that has no such waybill", ev.Carrier, no)}
		}
		return nil
	}
	period := PeriodOf(ev.CreatedAt)
	tag, err := tx.Exec(ctx, `INSERT INTO waybill (carrier, waybill_no, product, account, origin_division, destination_division, weight_g,
		length_mm, width_mm, height_mm, insured, declared_value_fen, return_receipt, quoted_fee_fen, case_id, case_no, hall, department,
		created_at, period, envelope_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		ON CONFLICT (carrier, waybill_no) DO NOTHING`,
		ev.Carrier, no, ev.Product, ev.Account, ev.OriginDivision, ev.DestinationDivision, ev.WeightG, ev.LengthMM, ev.WidthMM,
		ev.HeightMM, ev.Insured, ev.DeclaredValueFen, ev.ReturnReceipt, ev.QuotedFeeFen, ev.CaseID, ev.CaseNo, ev.Hall, ev.Department,
		ev.CreatedAt.UTC(), string(period), envelopeID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return n.invalidatePrepared(ctx, tx, period)
	}
	have, err := n.waybillsWhere(ctx, tx, `w.carrier = $1 AND w.waybill_no = $2`, ev.Carrier, no)
	if err != nil || len(have) == 0 {
		return errors.Join(err, errors.New("waybill vanished"))
	}
	if !sameWaybill(have[0], ev) {
		return &ledgerConflict{"conflict", fmt.Sprintf("%s %s is already recorded with different details", ev.Carrier, no)}
	}
	return nil
}

func sameWaybill(w Waybill, ev WaybillEvent) bool {
	a, _ := json.Marshal([]any{w.Product, w.Account, w.OriginDivision, w.DestinationDivision, w.WeightG, w.LengthMM, w.WidthMM, w.HeightMM,
		w.Insured, w.DeclaredValueFen, w.ReturnReceipt, w.CaseID, w.Hall, w.CreatedAt.UTC().Truncate(time.Microsecond)})
	b, _ := json.Marshal([]any{ev.Product, ev.Account, ev.OriginDivision, ev.DestinationDivision, ev.WeightG, ev.LengthMM, ev.WidthMM, ev.HeightMM,
		ev.Insured, ev.DeclaredValueFen, ev.ReturnReceipt, ev.CaseID, ev.Hall, ev.CreatedAt.UTC().Truncate(time.Microsecond)})
	return string(a) == string(b)
}
