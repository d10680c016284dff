package settlement

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Dispute outcomes and states.
const (
	DisputeOpen    = "open"
	DisputeUpheld  = "upheld"
	DisputePartly  = "partly_upheld"
	DisputeReject  = "rejected"
	DisputeSettled = "settled"
)

// Dispute is a bill line finance contests with the carrier.
type Dispute struct {
	ID          int64           `json:"id"`
	ImportID    int64           `json:"import_id"`
	Row         int             `json:"row"`
	Carrier     string          `json:"carrier"`
	Account     string          `json:"account"`
	Period      string          `json:"period"`
	Waybill     string          `json:"waybill"`
	Class       string          `json:"class"`
	Reason      string          `json:"reason"`
	Evidence    json.RawMessage `json:"evidence"`
	BilledFen   int64           `json:"billed_fen"`
	ClaimFen    int64           `json:"claim_fen"`
	Status      string          `json:"status"`
	AgreedFen   int64           `json:"agreed_fen"`
	CreditedFen int64           `json:"credited_fen"`
	OutcomeNote string          `json:"outcome_note,omitempty"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	DecidedBy   string          `json:"decided_by,omitempty"`
	DecidedAt   *time.Time      `json:"decided_at,omitempty"`
}

// Evidence is what a dispute file shows the carrier for one line.
type Evidence struct {
	Class    string   `json:"class"`
	Billed   []string `json:"billed_cells"`
	Expected *Fee     `json:"expected_fee,omitempty"`
	Dispatch *Waybill `json:"dispatch,omitempty"` // the waybill as recorded at dispatch: weight, dimensions, route
	Original *LineRef `json:"original_line,omitempty"`
}

// LineRef points at a bill line.
type LineRef struct {
	ImportID int64 `json:"import_id"`
	Row      int   `json:"row"`
}

// shouldNotExist are classes whose whole amount is contested.
var shouldNotExist = map[string]bool{ClassDuplicate: true, ClassUnknown: true, ClassVoidedBilled: true, ClassWrongAccount: true}

// OpenDispute contests a reconciled bill line. The claim is the whole amount for a
// line that should not exist, else what was billed above the expected fee; the
// evidence (expected-fee trace, the waybill as dispatched) is collected here.
func (n *Node) OpenDispute(ctx context.Context, importID int64, row int, reason, actor string) (Dispute, error) {
	if strings.TrimSpace(reason) == "" || len(reason) > 2000 {
		return Dispute{}, fieldErr("reason", "须填写申诉理由", "a reason is required (at most 2000 bytes)")
	}
	if actor == "" {
		return Dispute{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	var d Dispute
	var raw string
	var waybillID *int64
	var expected *int64
	err := n.db.QueryRow(ctx, `SELECT l.carrier, l.account, l.period, r.waybill_no, l.class, l.billed_fen, l.expected_fen, l.waybill_id, r.raw
		FROM recon_line l JOIN bill_row r USING (import_id, row_no) WHERE l.import_id = $1 AND l.row_no = $2`, importID, row).
		Scan(&d.Carrier, &d.Account, &d.Period, &d.Waybill, &d.Class, &d.BilledFen, &expected, &waybillID, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return Dispute{}, ErrNotFound
	}
	if err != nil {
		return Dispute{}, fmt.Errorf("settlement: open dispute: %w", err)
	}
	switch {
	case shouldNotExist[d.Class]:
		d.ClaimFen = d.BilledFen
	case expected != nil && d.BilledFen > *expected:
		d.ClaimFen = d.BilledFen - *expected
	default:
		return Dispute{}, &StateError{ZH: "该行没有可申诉的金额（" + d.Class + "）", EN: "the line has nothing to claim back (" + d.Class + ")"}
	}
	ev := Evidence{Class: d.Class, Billed: splitCells(raw)}
	if waybillID != nil {
		if w, err := n.FindWaybill(ctx, d.Carrier, d.Waybill); err == nil {
			ev.Dispatch = &w
			if fee, err := n.WaybillFee(ctx, d.Carrier, d.Waybill); err == nil {
				ev.Expected = &fee
			}
		}
	}
	if d.Class == ClassDuplicate {
		var ref LineRef
		if err := n.db.QueryRow(ctx, `SELECT import_id, row_no FROM recon_line WHERE waybill_id = $1 AND class NOT IN ('duplicate', 'credit')`, waybillID).
			Scan(&ref.ImportID, &ref.Row); err == nil {
			ev.Original = &ref
		}
	}
	d.Evidence, _ = json.Marshal(ev)
	d.ImportID, d.Row, d.Reason, d.Status, d.CreatedBy, d.CreatedAt = importID, row, reason, DisputeOpen, actor, n.now()
	err = pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if err := n.invalidatePrepared(ctx, tx, Period(d.Period)); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO dispute (import_id, row_no, carrier, account, period, waybill_no, class, reason, evidence,
			billed_fen, claim_fen, status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $13) RETURNING id`,
			importID, row, d.Carrier, d.Account, d.Period, d.Waybill, d.Class, reason, d.Evidence, d.BilledFen, d.ClaimFen, actor, d.CreatedAt).Scan(&d.ID)
		if err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "dispute.open", fmt.Sprintf("dispute:%d", d.ID),
			map[string]any{"line": fmt.Sprintf("%d:%d", importID, row), "class": d.Class, "claim_fen": d.ClaimFen})
	})
	if err != nil {
		return Dispute{}, fmt.Errorf("settlement: open dispute: %w", err)
	}
	return d, nil
}

// DecideDispute records the carrier's answer: upheld (the whole claim comes back as
// credit), partly_upheld (agreedFen of it) or rejected.
func (n *Node) DecideDispute(ctx context.Context, id int64, outcome string, agreedFen int64, note, actor string) (Dispute, error) {
	if actor == "" {
		return Dispute{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	if outcome != DisputeUpheld && outcome != DisputePartly && outcome != DisputeReject {
		return Dispute{}, fieldErr("outcome", "结果须为 upheld、partly_upheld 或 rejected", "outcome must be upheld, partly_upheld or rejected")
	}
	err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		var status string
		var claim, credited int64
		err := tx.QueryRow(ctx, `SELECT status, claim_fen, credited_fen FROM dispute WHERE id = $1 FOR UPDATE`, id).Scan(&status, &claim, &credited)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if status != DisputeOpen {
			return &StateError{ZH: "申诉已有结果（" + status + "）", EN: "the dispute is already " + status}
		}
		switch outcome {
		case DisputeUpheld:
			agreedFen = claim
		case DisputeReject:
			agreedFen = 0
		default:
			if agreedFen <= 0 || agreedFen >= claim {
				return fieldErr("agreed_fen", "部分支持的金额须大于 0 且小于申诉金额", "a partial outcome needs 0 < agreed_fen < claim_fen")
			}
		}
		now := n.now()
		period := string(PeriodOf(now))
		if err := n.openPeriod(ctx, tx, Period(period)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE dispute SET status = $2, agreed_fen = $3, outcome_note = $4, decided_by = $5, decided_at = $6, decided_period = $7
			WHERE id = $1`, id, outcome, agreedFen, note, actor, now, period); err != nil {
			return err
		}
		if err := n.settleIfCredited(ctx, tx, id, period); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "dispute.decide", fmt.Sprintf("dispute:%d", id), map[string]any{"outcome": outcome, "agreed_fen": agreedFen})
	})
	if err != nil {
		return Dispute{}, wrapKnown("decide dispute", err)
	}
	return n.Dispute(ctx, id)
}

// RecordCredit records a credit note against a dispute, in the current period.
func (n *Node) RecordCredit(ctx context.Context, id int64, amountFen int64, reference, actor string) (Dispute, error) {
	if actor == "" {
		return Dispute{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	if amountFen <= 0 {
		return Dispute{}, fieldErr("amount_fen", "贷项金额须为正", "amount_fen must be positive")
	}
	if reference = strings.TrimSpace(reference); reference == "" || strings.HasPrefix(reference, "bill:") {
		return Dispute{}, fieldErr("reference", "须填写贷项通知单号", "the credit note number is required")
	}
	err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		now := n.now()
		period := string(PeriodOf(now))
		if err := n.openPeriod(ctx, tx, Period(period)); err != nil {
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM dispute WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if status == DisputeReject || status == DisputeSettled {
			return &StateError{ZH: "申诉已结束（" + status + "）", EN: "the dispute is already " + status}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO credit (dispute_id, period, amount_fen, reference, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, period, amountFen, reference, actor, now); err != nil {
			return err
		}
		if err := n.settleIfCredited(ctx, tx, id, period); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "dispute.credit", fmt.Sprintf("dispute:%d", id), map[string]any{"amount_fen": amountFen, "reference": reference})
	})
	if err != nil {
		return Dispute{}, wrapKnown("record credit", err)
	}
	return n.Dispute(ctx, id)
}

// settleIfCredited brings credited_fen up to date from the credits and settles a
// dispute whose agreed amount has come back in full.
func (n *Node) settleIfCredited(ctx context.Context, tx pgx.Tx, id int64, period string) error {
	_, err := tx.Exec(ctx, `UPDATE dispute SET credited_fen = (SELECT coalesce(sum(amount_fen), 0) FROM credit WHERE dispute_id = $1) WHERE id = $1`, id)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE dispute SET status = 'settled', settled_period = $2
		WHERE id = $1 AND status IN ('upheld', 'partly_upheld') AND credited_fen >= agreed_fen`, id, period)
	return err
}

// applyBillCredits ties the credit lines of a reconciled bill to the disputes on the
// same waybill: the carrier paying back on a later bill is how disputes settle. An
// open dispute credited this way counts as upheld for the amount credited.
func (n *Node) applyBillCredits(ctx context.Context, tx pgx.Tx, carrier, account string, p Period, actor string) error {
	rows, err := tx.Query(ctx, `INSERT INTO credit (dispute_id, period, amount_fen, reference, created_by, created_at)
		SELECT d.id, l.period, -l.billed_fen, 'bill:' || l.import_id || ':' || l.row_no, $4, $5
		FROM recon_line l JOIN bill_row r USING (import_id, row_no)
		JOIN dispute d ON d.carrier = l.carrier AND d.waybill_no = r.waybill_no AND d.status IN ('open', 'upheld', 'partly_upheld')
		WHERE l.carrier = $1 AND l.account = $2 AND l.period = $3 AND l.class = 'credit'
		ON CONFLICT (dispute_id, reference) DO NOTHING RETURNING dispute_id`, carrier, account, p, actor, n.now())
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.Exec(ctx, `UPDATE dispute SET status = 'upheld', agreed_fen = claim_fen, decided_by = $2, decided_at = $3, decided_period = $4,
			outcome_note = 'credited on a bill' WHERE id = $1 AND status = 'open'`, id, actor, n.now(), p); err != nil {
			return err
		}
		if err := n.settleIfCredited(ctx, tx, id, string(p)); err != nil {
			return err
		}
	}
	return nil
}

const disputeCols = `id, import_id, row_no, carrier, account, period, waybill_no, class, reason, evidence, billed_fen, claim_fen, status,
	agreed_fen, credited_fen, coalesce(outcome_note, ''), created_by, created_at, coalesce(decided_by, ''), decided_at`

func scanDispute(r pgx.CollectableRow) (Dispute, error) {
	var d Dispute
	err := r.Scan(&d.ID, &d.ImportID, &d.Row, &d.Carrier, &d.Account, &d.Period, &d.Waybill, &d.Class, &d.Reason, &d.Evidence,
		&d.BilledFen, &d.ClaimFen, &d.Status, &d.AgreedFen, &d.CreditedFen, &d.OutcomeNote, &d.CreatedBy, &d.CreatedAt, &d.DecidedBy, &d.DecidedAt)
	return d, err
}

// Dispute returns one dispute.
func (n *Node) Dispute(ctx context.Context, id int64) (Dispute, error) {
	rows, err := n.db.Query(ctx, `SELECT `+disputeCols+` FROM dispute WHERE id = $1`, id)
	if err != nil {
		return Dispute{}, fmt.Errorf("settlement: dispute: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDispute)
	if err != nil {
		return Dispute{}, fmt.Errorf("settlement: dispute: %w", err)
	}
	if len(ds) == 0 {
		return Dispute{}, ErrNotFound
	}
	return ds[0], nil
}

// Disputes lists disputes of a carrier account ("" for all) in a status ("" for all).
func (n *Node) Disputes(ctx context.Context, carrier, account, status string) ([]Dispute, error) {
	rows, err := n.db.Query(ctx, `SELECT `+disputeCols+` FROM dispute WHERE ($1 = '' OR carrier = $1) AND ($2 = '' OR account = $2)
		AND ($3 = '' OR status = $3) ORDER BY id`, carrier, account, status)
	if err != nil {
		return nil, fmt.Errorf("settlement: disputes: %w", err)
	}
	return pgx.CollectRows(rows, scanDispute)
}

// ExportDisputes writes the open disputes of a carrier account as a CSV file for the
// carrier: one row per contested line with the numbers on both sides and the trace.
func (n *Node) ExportDisputes(ctx context.Context, carrier, account string) ([]byte, error) {
	ds, err := n.Disputes(ctx, carrier, account, DisputeOpen)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write([]string{"申诉编号", "运单号", "账期", "账单行", "类别", "账单金额(元)", "我方应付(元)", "申诉金额(元)", "理由",
		"账单计费重量(克)", "我方计费重量(克)", "寄出时重量(克)", "寄出时尺寸(毫米)", "计费过程"})
	for _, d := range ds {
		var ev Evidence
		_ = json.Unmarshal(d.Evidence, &ev)
		expected, ourG, sentG, dims, trace := "", "", "", "", ""
		if ev.Expected != nil {
			expected = Yuan(ev.Expected.TotalFen)
			ourG = strconv.FormatInt(ev.Expected.ChargeableG, 10)
			var steps []string
			for _, s := range ev.Expected.Trace {
				steps = append(steps, s.Step+": "+s.Detail)
			}
			trace = strings.Join(steps, "; ")
		} else if shouldNotExist[d.Class] {
			expected = "0.00"
		}
		if ev.Dispatch != nil {
			sentG = strconv.FormatInt(ev.Dispatch.WeightG, 10)
			dims = fmt.Sprintf("%d*%d*%d", ev.Dispatch.LengthMM, ev.Dispatch.WidthMM, ev.Dispatch.HeightMM)
		}
		var billedG string
		_ = n.db.QueryRow(ctx, `SELECT coalesce(charge_g::text, '') FROM bill_row WHERE import_id = $1 AND row_no = $2`, d.ImportID, d.Row).Scan(&billedG)
		_ = w.Write([]string{strconv.FormatInt(d.ID, 10), d.Waybill, d.Period, fmt.Sprintf("%d:%d", d.ImportID, d.Row), d.Class,
			Yuan(d.BilledFen), expected, Yuan(d.ClaimFen), d.Reason, billedG, ourG, sentG, dims, trace})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// wrapKnown passes errors the API maps through and wraps the rest.
func wrapKnown(op string, err error) error {
	var fe *FieldError
	var se *StateError
	if errors.As(err, &fe) || errors.As(err, &se) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrPeriodClosed) || errors.Is(err, ErrMakerChecker) {
		return err
	}
	return fmt.Errorf("settlement: %s: %w", op, err)
}
