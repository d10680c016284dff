package settlement

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// closeLock serialises preparing and approving closes.
const closeLock = 0x7462_636c // "tbcl"

// unallocatedCase receives a payable that no case can carry (a bill of nothing but
// lines that are not ours), so the allocation still adds up.
const unallocatedCase = "00000000-0000-0000-0000-000000000000"

// Close is a period close: prepared by one finance user, approved by another.
type Close struct {
	Period     string       `json:"period"`
	Status     string       `json:"status"` // prepared, closed
	PreparedBy string       `json:"prepared_by"`
	PreparedAt time.Time    `json:"prepared_at"`
	ApprovedBy string       `json:"approved_by,omitempty"`
	ApprovedAt *time.Time   `json:"approved_at,omitempty"`
	PayableFen int64        `json:"payable_fen"`
	Summary    CloseSummary `json:"summary"`
}

// CloseSummary holds the carry-forward identity and the payable of each account.
type CloseSummary struct {
	// Open items (unbilled waybills, unsettled disputes): open = previous + new − cleared,
	// by count and by amount.
	Previous   ItemTotal        `json:"previous"`
	New        ItemTotal        `json:"new"`
	Cleared    ItemTotal        `json:"cleared"`
	Open       ItemTotal        `json:"open"`
	Accounts   []AccountPayable `json:"accounts"`
	Statements []StatementRef   `json:"statements"`
}

// ItemTotal counts open items and adds up their amounts.
type ItemTotal struct {
	Count int   `json:"count"`
	Fen   int64 `json:"fen"`
}

// AccountPayable is what one carrier account is owed for the period.
type AccountPayable struct {
	Carrier    string         `json:"carrier"`
	Account    string         `json:"account"`
	Lines      int            `json:"lines"`
	BilledFen  int64          `json:"billed_fen"`
	CreditsFen int64          `json:"credit_notes_fen"`
	PayableFen int64          `json:"payable_fen"`
	Classes    map[string]int `json:"classes"`
	Digest     string         `json:"reconciliation_digest"`
}

// openPeriod refuses changes to a closed period and withdraws a prepared close of
// it (and of later periods), since what was prepared no longer holds: the checker
// approves exactly what the maker saw.
func (n *Node) openPeriod(ctx context.Context, tx pgx.Tx, p Period) error {
	var closed bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM period_close WHERE period = $1 AND status = 'closed')`, p).Scan(&closed)
	if err != nil {
		return err
	}
	if closed {
		return ErrPeriodClosed
	}
	return n.invalidatePrepared(ctx, tx, p)
}

// invalidatePrepared withdraws prepared closes of period p and later ones.
func (n *Node) invalidatePrepared(ctx context.Context, tx pgx.Tx, p Period) error {
	rows, err := tx.Query(ctx, `DELETE FROM period_close WHERE period >= $1 AND status = 'prepared' RETURNING period`, p)
	if err != nil {
		return err
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(gone) == 0 {
		return err
	}
	for _, t := range []string{"close_item", "allocation", "statement"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE period = ANY($1)`, gone); err != nil {
			return err
		}
	}
	return nil
}

// PrepareClose reconciles every account active in the period, works out open items,
// the carry-forward identity, the payable, its allocation and the statements, and
// records the close as prepared by actor. Preparing again replaces it; on the same
// data it comes out the same, statements and hashes included.
func (n *Node) PrepareClose(ctx context.Context, p Period, actor string) (Close, error) {
	if actor == "" {
		return Close{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	accounts, err := n.activeAccounts(ctx, p)
	if err != nil {
		return Close{}, fmt.Errorf("settlement: prepare close: %w", err)
	}
	recs := map[[2]string]Reconciliation{}
	for _, a := range accounts {
		rec, err := n.Reconcile(ctx, a[0], a[1], p, actor)
		if err != nil {
			return Close{}, err
		}
		recs[a] = rec
	}
	c := Close{Period: string(p), Status: "prepared", PreparedBy: actor, PreparedAt: n.now()}
	err = pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, closeLock); err != nil {
			return err
		}
		if err := n.openPeriod(ctx, tx, p); err != nil {
			return err
		}
		var earlier string
		err := tx.QueryRow(ctx, `SELECT period FROM period_close WHERE period < $1 AND status = 'prepared' ORDER BY period LIMIT 1`, p).Scan(&earlier)
		if err == nil {
			return &StateError{ZH: "请先审批 " + earlier + " 的结账", EN: "approve the close of " + earlier + " first"}
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := n.carryForward(ctx, tx, p, &c.Summary); err != nil {
			return err
		}
		for _, a := range accounts {
			ap, err := n.payable(ctx, tx, p, a[0], a[1], recs[a])
			if err != nil {
				return err
			}
			if err := n.allocate(ctx, tx, p, ap); err != nil {
				return err
			}
			c.Summary.Accounts = append(c.Summary.Accounts, ap)
			c.PayableFen += ap.PayableFen
		}
		refs, err := n.writeStatements(ctx, tx, p, c)
		if err != nil {
			return err
		}
		c.Summary.Statements = refs
		sum, _ := json.Marshal(c.Summary)
		if _, err := tx.Exec(ctx, `INSERT INTO period_close (period, status, prepared_by, prepared_at, payable_fen, summary)
			VALUES ($1, 'prepared', $2, $3, $4, $5)`, p, actor, c.PreparedAt, c.PayableFen, sum); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "close.prepare", "period:"+string(p), map[string]any{
			"payable_fen": c.PayableFen, "open": c.Summary.Open, "previous": c.Summary.Previous, "new": c.Summary.New, "cleared": c.Summary.Cleared})
	})
	if err != nil {
		var se *StateError
		if errors.As(err, &se) || errors.Is(err, ErrPeriodClosed) {
			return Close{}, err
		}
		return Close{}, fmt.Errorf("settlement: prepare close: %w", err)
	}
	n.log.Info("close prepared", slog.String("period", string(p)), slog.Int64("payable_fen", c.PayableFen), slog.Int("open_items", c.Summary.Open.Count))
	return c, nil
}

// ApproveClose closes a prepared period. The approver must not be the preparer.
func (n *Node) ApproveClose(ctx context.Context, p Period, actor string) (Close, error) {
	if actor == "" {
		return Close{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, closeLock); err != nil {
			return err
		}
		var status, preparer string
		err := tx.QueryRow(ctx, `SELECT status, prepared_by FROM period_close WHERE period = $1 FOR UPDATE`, p).Scan(&status, &preparer)
		if errors.Is(err, pgx.ErrNoRows) {
			return &StateError{ZH: "该账期尚未准备结账", EN: "the period has no prepared close"}
		}
		if err != nil {
			return err
		}
		if status == "closed" {
			return ErrPeriodClosed
		}
		if preparer == actor {
			return ErrMakerChecker
		}
		if _, err := tx.Exec(ctx, `UPDATE period_close SET status = 'closed', approved_by = $2, approved_at = $3 WHERE period = $1`, p, actor, n.now()); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "close.approve", "period:"+string(p), map[string]any{"prepared_by": preparer})
	})
	if err != nil {
		var se *StateError
		if errors.As(err, &se) || errors.Is(err, ErrPeriodClosed) || errors.Is(err, ErrMakerChecker) {
			return Close{}, err
		}
		return Close{}, fmt.Errorf("settlement: approve close: %w", err)
	}
	return n.Close(ctx, p)
}

// Close returns a period's close.
func (n *Node) Close(ctx context.Context, p Period) (Close, error) {
	var c Close
	var sum []byte
	var approvedBy *string
	err := n.db.QueryRow(ctx, `SELECT period, status, prepared_by, prepared_at, approved_by, approved_at, payable_fen, summary
		FROM period_close WHERE period = $1`, p).Scan(&c.Period, &c.Status, &c.PreparedBy, &c.PreparedAt, &approvedBy, &c.ApprovedAt, &c.PayableFen, &sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return Close{}, ErrNotFound
	}
	if err != nil {
		return Close{}, fmt.Errorf("settlement: close: %w", err)
	}
	if approvedBy != nil {
		c.ApprovedBy = *approvedBy
	}
	return c, json.Unmarshal(sum, &c.Summary)
}

// activeAccounts are the carrier accounts with a bill or a waybill up to the period.
func (n *Node) activeAccounts(ctx context.Context, p Period) ([][2]string, error) {
	rows, err := n.db.Query(ctx, `SELECT carrier, account FROM bill_import WHERE period = $1 AND status = 'accepted'
		UNION SELECT DISTINCT carrier, account FROM waybill WHERE period <= $1
		ORDER BY 1, 2`, p)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var a [2]string
		err := r.Scan(&a[0], &a[1])
		return a, err
	})
}

// carryForward records the period's open items and checks the identity: every item
// open at the end of the previous period is either still open or cleared (billed,
// voided, settled or rejected) in this one; anything else would be an item lost.
// Carried items keep the amount they were opened with.
func (n *Node) carryForward(ctx context.Context, tx pgx.Tx, p Period, s *CloseSummary) error {
	prev := p.Prev()
	// The claims are a view without an index on the waybill: the check below hashes them.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM close_item WHERE period = $1`, p); err != nil {
		return err
	}
	// Open now: unbilled waybills and disputes not settled or rejected by the period's end.
	_, err := tx.Exec(ctx, `INSERT INTO close_item (period, kind, ref, amount_fen, opened_period)
		SELECT $1, 'unbilled', u.waybill_id, coalesce(pi.amount_fen, u.expected_fen, 0), coalesce(pi.opened_period, $1)
		FROM recon_unbilled u LEFT JOIN close_item pi ON pi.period = $2 AND pi.kind = 'unbilled' AND pi.ref = u.waybill_id
		WHERE u.period = $1
		UNION ALL
		SELECT $1, 'dispute', d.id, coalesce(pi.amount_fen, d.claim_fen), coalesce(pi.opened_period, $1)
		FROM dispute d LEFT JOIN close_item pi ON pi.period = $2 AND pi.kind = 'dispute' AND pi.ref = d.id
		WHERE d.period <= $1 AND NOT (d.status IN ('settled', 'rejected') AND coalesce(d.settled_period, d.decided_period) <= $1)`, p, prev)
	if err != nil {
		return err
	}
	q := func(sql string, dst *ItemTotal) error {
		return tx.QueryRow(ctx, sql, p, prev).Scan(&dst.Count, &dst.Fen)
	}
	if err := q(`SELECT count(*), coalesce(sum(amount_fen), 0) FROM close_item WHERE period = $1 AND $2 <> ''`, &s.Open); err != nil {
		return err
	}
	if err := q(`SELECT count(*), coalesce(sum(amount_fen), 0) FROM close_item WHERE period = $2 AND $1 <> ''`, &s.Previous); err != nil {
		return err
	}
	if err := q(`SELECT count(*), coalesce(sum(c.amount_fen), 0) FROM close_item c WHERE c.period = $1
		AND NOT EXISTS (SELECT 1 FROM close_item pi WHERE pi.period = $2 AND pi.kind = c.kind AND pi.ref = c.ref)`, &s.New); err != nil {
		return err
	}
	// Cleared, from the ledger's own facts rather than from the difference of the sets.
	if err := q(`SELECT count(*), coalesce(sum(pi.amount_fen), 0) FROM close_item pi WHERE pi.period = $2 AND (
		(pi.kind = 'unbilled' AND EXISTS (SELECT 1 FROM waybill w WHERE w.id = pi.ref AND (w.voided_at IS NOT NULL
			OR w.id IN (SELECT c.waybill_id FROM recon_line c WHERE c.waybill_id IS NOT NULL AND c.class NOT IN ('duplicate', 'credit') AND c.period <= $1))))
		OR (pi.kind = 'dispute' AND EXISTS (SELECT 1 FROM dispute d WHERE d.id = pi.ref AND d.status IN ('settled', 'rejected')
			AND coalesce(d.settled_period, d.decided_period) <= $1)))`, &s.Cleared); err != nil {
		return err
	}
	if s.Open.Count != s.Previous.Count+s.New.Count-s.Cleared.Count || s.Open.Fen != s.Previous.Fen+s.New.Fen-s.Cleared.Fen {
		return &StateError{
			ZH: fmt.Sprintf("结转不平：期末 %d 项 %s 元，上期 %d 项 + 新增 %d 项 − 清理 %d 项", s.Open.Count, Yuan(s.Open.Fen), s.Previous.Count, s.New.Count, s.Cleared.Count),
			EN: fmt.Sprintf("carry-forward does not balance: open %d (%s) ≠ previous %d (%s) + new %d (%s) − cleared %d (%s)",
				s.Open.Count, Yuan(s.Open.Fen), s.Previous.Count, Yuan(s.Previous.Fen), s.New.Count, Yuan(s.New.Fen), s.Cleared.Count, Yuan(s.Cleared.Fen))}
	}
	return nil
}

// payable is what an account is owed for the period: every line as billed (credit
// lines are negative) less credit notes recorded against its disputes in the period.
// Disputed amounts are not withheld; they come back as credits.
func (n *Node) payable(ctx context.Context, tx pgx.Tx, p Period, carrier, account string, rec Reconciliation) (AccountPayable, error) {
	ap := AccountPayable{Carrier: carrier, Account: account, Lines: rec.Lines, Classes: rec.Classes, Digest: rec.Digest}
	err := tx.QueryRow(ctx, `SELECT coalesce(sum(billed_fen), 0) FROM recon_line WHERE carrier = $1 AND account = $2 AND period = $3`,
		carrier, account, p).Scan(&ap.BilledFen)
	if err != nil {
		return ap, err
	}
	err = tx.QueryRow(ctx, `SELECT coalesce(sum(c.amount_fen), 0) FROM credit c JOIN dispute d ON d.id = c.dispute_id
		WHERE d.carrier = $1 AND d.account = $2 AND c.period = $3 AND c.reference NOT LIKE 'bill:%'`, carrier, account, p).Scan(&ap.CreditsFen)
	ap.PayableFen = ap.BilledFen - ap.CreditsFen
	return ap, err
}

// allocate spreads an account's payable over the cases its lines belong to, by what
// each case's lines billed; lines that are not ours are carried by every case in
// proportion. Cities and departments are sums of their cases, so every level adds up
// to the payable exactly.
func (n *Node) allocate(ctx context.Context, tx pgx.Tx, p Period, ap AccountPayable) error {
	rows, err := tx.Query(ctx, `SELECT w.case_id::text, min(w.case_no), min(w.hall), min(w.department), sum(l.billed_fen)
		FROM recon_line l JOIN waybill w ON w.id = l.waybill_id
		WHERE l.carrier = $1 AND l.account = $2 AND l.period = $3 AND l.billed_fen > 0
		GROUP BY w.case_id ORDER BY w.case_id`, ap.Carrier, ap.Account, p)
	if err != nil {
		return err
	}
	type caseRow struct {
		id, no, hall, dept string
		w                  int64
	}
	cases, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (caseRow, error) {
		var c caseRow
		err := r.Scan(&c.id, &c.no, &c.hall, &c.dept, &c.w)
		return c, err
	})
	if err != nil {
		return err
	}
	shares := make([]Share, len(cases))
	for i, c := range cases {
		shares[i] = Share{Key: c.id, Weight: c.w}
	}
	if !Allocate(ap.PayableFen, shares) {
		cases = []caseRow{{id: unallocatedCase, no: "-", hall: "000000", dept: "未分摊 unallocated"}}
		shares = []Share{{Key: unallocatedCase, Amount: ap.PayableFen}}
	}
	out := make([][]any, 0, len(cases))
	for i, c := range cases {
		out = append(out, []any{string(p), ap.Carrier, ap.Account, c.id, c.no, c.hall, c.dept, shares[i].Amount})
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"allocation"}, []string{"period", "carrier", "account", "case_id", "case_no", "hall", "department", "amount_fen"},
		pgx.CopyFromRows(out))
	return err
}

// Allocation is a case's share of a period's payable.
type Allocation struct {
	Carrier    string `json:"carrier"`
	Account    string `json:"account"`
	CaseID     string `json:"case_id"`
	CaseNo     string `json:"case_no"`
	Hall       string `json:"hall"`
	Department string `json:"department"`
	AmountFen  int64  `json:"amount_fen"`
}

// Allocations lists a period's allocation by hall, department and case.
func (n *Node) Allocations(ctx context.Context, p Period, hall string) ([]Allocation, error) {
	rows, err := n.db.Query(ctx, `SELECT carrier, account, case_id::text, case_no, hall, department, amount_fen FROM allocation
		WHERE period = $1 AND ($2 = '' OR hall = $2) ORDER BY hall, department, case_no, carrier, account`, p, hall)
	if err != nil {
		return nil, fmt.Errorf("settlement: allocations: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Allocation, error) {
		var a Allocation
		err := r.Scan(&a.Carrier, &a.Account, &a.CaseID, &a.CaseNo, &a.Hall, &a.Department, &a.AmountFen)
		return a, err
	})
}
