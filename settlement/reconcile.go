package settlement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconciliation classes of a bill line.
const (
	ClassMatched      = "matched"
	ClassOvercharged  = "overcharged"
	ClassUndercharged = "undercharged"
	ClassWeight       = "weight_discrepancy"
	ClassZone         = "zone_mismatch"
	ClassSurcharge    = "unexpected_surcharge"
	ClassDuplicate    = "duplicate"
	ClassUnknown      = "unknown_waybill"
	ClassVoidedBilled = "voided_billed"
	ClassWrongAccount = "wrong_account" // our waybill, billed to another of our accounts
	ClassNoTariff     = "no_tariff"     // ours, but no tariff prices it: set one up and re-run
	ClassCredit       = "credit"        // a negative line: money back, usually for a dispute
	ClassNotBilledYet = "not_billed"    // our waybill without a bill line by the period's end
)

// Classes lists the line classes in report order.
var Classes = []string{ClassMatched, ClassOvercharged, ClassUndercharged, ClassWeight, ClassZone, ClassSurcharge,
	ClassDuplicate, ClassUnknown, ClassVoidedBilled, ClassWrongAccount, ClassNoTariff, ClassCredit}

// Reconciliation is the outcome of reconciling one carrier account for one period.
type Reconciliation struct {
	RunID    int64            `json:"run_id"`
	Carrier  string           `json:"carrier"`
	Account  string           `json:"account"`
	Period   string           `json:"period"`
	Lines    int              `json:"lines"`
	Classes  map[string]int   `json:"classes"`
	Billed   map[string]int64 `json:"billed_fen"`
	Unbilled int              `json:"not_billed"`
	// UnbilledFen is the expected fee of our waybills not billed yet.
	UnbilledFen int64     `json:"not_billed_fen"`
	Digest      string    `json:"digest"` // SHA-256 over every result in order: a re-run on the same data gives the same
	At          time.Time `json:"at"`
}

// lineRow is a bill line joined with the waybill it names, if any.
type lineRow struct {
	importID                                  int64
	rowNo                                     int32
	waybillNo, origin, dest                   string
	weightG, chargeG                          int64
	freight, insurance, receipt, other, total int64
	wID                                       *int64
	wProduct, wAccount, wOrigin, wDest        string
	wWeight, wL, wW, wH, wDeclared            int64
	wInsured, wReceipt                        bool
	wCreated                                  time.Time
	wVoided                                   *time.Time
	claimed                                   bool
}

// result is one line's class and the numbers behind it; the expected fee, the
// expected chargeable weight and the tariff are there when priced (the difference is
// the billed amount less the expected fee).
// They are values, not pointers into the fee: a million lines should not be a
// million allocations.
type result struct {
	importID                      int64
	rowNo                         int32
	waybillID                     *int64
	class                         string
	billed, billedG               int64
	priced                        bool
	expected, expectedG, tariffID int64
}

// stored is the result a line holds, as read back.
type stored struct {
	waybillID, expected, expectedG, tariffID *int64
	class                                    string
}

// appendResult appends a result's columns as bill_row.res_* holds them.
func appendResult(b []byte, r *result) []byte {
	b = tintp(b, r.waybillID)
	b = tstr(tsep(b, false), r.class)
	for _, v := range [...]int64{r.expected, r.expectedG, r.tariffID} {
		b = tsep(b, false)
		if r.priced {
			b = tint(b, v)
		} else {
			b = tnull(b)
		}
	}
	return b
}

// Reconcile classifies every accepted bill line of a carrier account and period
// against the waybill ledger and records the waybills still unbilled. It replaces the
// period's earlier results (and clears later open periods of the account, which must
// then be re-run, since a claim here may change them); the same data gives the same
// results and the same digest. When the period's only import was classified as it
// came in and nothing the classification depends on has changed since, those results
// are published as they are; otherwise every line is classified again.
func (n *Node) Reconcile(ctx context.Context, carrier, account string, period Period, actor string) (Reconciliation, error) {
	if _, err := ParsePeriod(string(period)); err != nil {
		return Reconciliation{}, err
	}
	if actor == "" {
		return Reconciliation{}, fieldErr("actor", "须提供操作人", "the acting user is required")
	}
	rec := Reconciliation{Carrier: carrier, Account: account, Period: string(period), Classes: map[string]int{}, Billed: map[string]int64{}, At: n.now()}
	err := pgx.BeginFunc(ctx, n.db, func(tx pgx.Tx) error {
		if err := n.openPeriod(ctx, tx, period); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, accountLock(carrier, account)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL work_mem = '256MB'`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE bill_import SET published = false WHERE carrier = $1 AND account = $2 AND period >= $3 AND published
			AND period NOT IN (SELECT period FROM period_close WHERE status = 'closed')`, carrier, account, period); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recon_unbilled WHERE carrier = $1 AND account = $2 AND period >= $3
			AND period NOT IN (SELECT period FROM period_close WHERE status = 'closed')`, carrier, account, period); err != nil {
			return err
		}
		var stamp int64
		if err := tx.QueryRow(ctx, `SELECT version FROM settlement_stamp`).Scan(&stamp); err != nil {
			return err
		}
		only, us, fast, err := n.precomputed(ctx, tx, &rec, stamp)
		if err != nil {
			return err
		}
		if !fast {
			if us, err = n.reconcileFromScratch(ctx, tx, &rec); err != nil {
				return err
			}
		}
		rows := make([][]any, len(us))
		for i, u := range us {
			var expected *int64
			if u.expected >= 0 {
				expected = &us[i].expected
			}
			rows[i] = []any{carrier, account, period, u.id, expected}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"recon_unbilled"}, []string{"carrier", "account", "period", "waybill_id", "expected_fen"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if err := n.publish(ctx, tx, carrier, account, period); err != nil {
			return err
		}
		if rec.Classes[ClassCredit] > 0 {
			if err := n.applyBillCredits(ctx, tx, carrier, account, period, actor); err != nil {
				return err
			}
		}
		if err := n.rememberResults(ctx, tx, &rec, us, only, stamp); err != nil {
			return err
		}
		sum, _ := hex.DecodeString(rec.Digest)
		if err := tx.QueryRow(ctx, `INSERT INTO recon_run (carrier, account, period, actor, at, lines, unbilled, digest)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, carrier, account, period, actor, rec.At, rec.Lines, rec.Unbilled, sum).Scan(&rec.RunID); err != nil {
			return err
		}
		return n.audit(ctx, tx, actor, "reconcile.run", fmt.Sprintf("account:%s/%s/%s", carrier, account, period),
			map[string]any{"run": rec.RunID, "lines": rec.Lines, "classes": rec.Classes, "not_billed": rec.Unbilled, "digest": rec.Digest})
	})
	if err != nil {
		var se *StateError
		if errors.Is(err, ErrPeriodClosed) || errors.As(err, &se) {
			return Reconciliation{}, err
		}
		return Reconciliation{}, fmt.Errorf("settlement: reconcile: %w", err)
	}
	n.log.Info("reconciled", slog.String("carrier", carrier), slog.String("period", string(period)),
		slog.Int("lines", rec.Lines), slog.Int("not_billed", rec.Unbilled), slog.String("digest", rec.Digest))
	return rec, nil
}

// precomputed returns the results stored with the period's import when they can be
// published as they are: it is the period's only accepted import, none of its lines
// was already known, and the stamp and the tolerance are the ones they were computed
// with. only is that import's id when there is exactly one.
func (n *Node) precomputed(ctx context.Context, tx pgx.Tx, rec *Reconciliation, stamp int64) (only int64, us []unbilledEntry, fast bool, err error) {
	rows, err := tx.Query(ctx, `SELECT id, rows_known, pre_stamp, pre_summary, pre_unbilled FROM bill_import
		WHERE carrier = $1 AND account = $2 AND period = $3 AND status = 'accepted'`, rec.Carrier, rec.Account, rec.Period)
	if err != nil {
		return 0, nil, false, err
	}
	type cand struct {
		id       int64
		known    int
		stamp    *int64
		summary  []byte
		unbilled []byte
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cand, error) {
		var c cand
		err := r.Scan(&c.id, &c.known, &c.stamp, &c.summary, &c.unbilled)
		return c, err
	})
	if err != nil || len(cs) != 1 {
		return 0, nil, false, err
	}
	c := cs[0]
	if c.known != 0 || c.stamp == nil || *c.stamp != stamp || c.summary == nil {
		return c.id, nil, false, nil
	}
	var s preSummary
	if err := json.Unmarshal(c.summary, &s); err != nil || s.Tolerance != n.opt.Tolerance {
		return c.id, nil, false, nil
	}
	if us, err = decodeUnbilled(c.unbilled); err != nil {
		return c.id, nil, false, nil
	}
	r := s.Result
	rec.Lines, rec.Unbilled, rec.UnbilledFen, rec.Digest = r.Lines, r.Unbilled, r.UnbilledFen, r.Digest
	for k, v := range r.Classes {
		rec.Classes[k] = v
	}
	for k, v := range r.Billed {
		rec.Billed[k] = v
	}
	return c.id, us, true, nil
}

// reconcileFromScratch classifies every line of the period's accepted imports and
// lists the waybills left unbilled.
func (n *Node) reconcileFromScratch(ctx context.Context, tx pgx.Tx, rec *Reconciliation) ([]unbilledEntry, error) {
	tariffs, err := loadTariffs(ctx, tx, rec.Carrier)
	if err != nil {
		return nil, err
	}
	// Fresh statistics let the join pick a hash join for a big bill and index look-ups
	// for a small one; autovacuum would get there, but only later.
	var lines int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(rows_good), 0) FROM bill_import WHERE carrier = $1 AND account = $2 AND period = $3 AND status = 'accepted'`,
		rec.Carrier, rec.Account, rec.Period).Scan(&lines); err != nil {
		return nil, err
	}
	if lines > 5_000 {
		if _, err := tx.Exec(ctx, `ANALYZE bill_import, bill_row`); err != nil {
			return nil, err
		}
	}
	digest := sha256.New()
	if err := n.classifyLines(ctx, tx, tariffs, rec, digest); err != nil {
		return nil, err
	}
	us, err := n.recordUnbilled(ctx, tx, tariffs, rec, digest)
	if err != nil {
		return nil, err
	}
	rec.Digest = hex.EncodeToString(digest.Sum(nil))
	return us, nil
}

// carrierLock serialises the publishing of results of one carrier's accounts, so two
// of them cannot claim the same waybill at once.
func carrierLock(carrier string) int64 {
	h := fnv.New64a()
	h.Write([]byte("claims\x00" + carrier))
	return int64(h.Sum64() >> 1)
}

// publish makes the period's results current, after checking that no waybill they
// claim is claimed by a published line of another account in an open period from
// this one on (classification has made lines for the other claims duplicates).
func (n *Node) publish(ctx context.Context, tx pgx.Tx, carrier, account string, period Period) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, carrierLock(carrier)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE bill_import SET published = true WHERE carrier = $1 AND account = $2 AND period = $3 AND status = 'accepted'`,
		carrier, account, period); err != nil {
		return err
	}
	var others []int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM bill_import WHERE published AND carrier = $1 AND account <> $2 AND period >= $3
		AND period NOT IN (SELECT period FROM period_close WHERE status = 'closed')`, carrier, account, period).Scan(&others); err != nil {
		return err
	}
	if len(others) == 0 {
		return nil
	}
	var no string
	err := tx.QueryRow(ctx, `SELECT r.waybill_no FROM recon_line o JOIN recon_line m ON m.waybill_id = o.waybill_id
		JOIN bill_row r ON r.import_id = m.import_id AND r.row_no = m.row_no
		WHERE o.import_id = ANY($4) AND o.class NOT IN ('duplicate', 'credit')
		  AND m.carrier = $1 AND m.account = $2 AND m.period = $3 AND m.class NOT IN ('duplicate', 'credit') LIMIT 1`,
		carrier, account, period, others).Scan(&no)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &StateError{ZH: "运单 " + no + " 已由另一账户的账单行认领；请先重新对账该账户", EN: "waybill " + no + " is already claimed by a line of another account; reconcile that account again first"}
}

// rememberResults moves the stamp on (the published results are an input of every
// other account's classification) and, when the period has a single import and
// nothing moved the stamp while this ran, stores the results with it so that a re-run
// on unchanged data publishes them again without classifying.
func (n *Node) rememberResults(ctx context.Context, tx pgx.Tx, rec *Reconciliation, us []unbilledEntry, only, stamp int64) error {
	var now int64
	if err := tx.QueryRow(ctx, `UPDATE settlement_stamp SET version = version + 1 RETURNING version`).Scan(&now); err != nil {
		return err
	}
	if only == 0 {
		return nil
	}
	if now != stamp+1 {
		_, err := tx.Exec(ctx, `UPDATE bill_import SET pre_stamp = NULL WHERE id = $1`, only)
		return err
	}
	summary, err := json.Marshal(preSummary{Tolerance: n.opt.Tolerance, Result: *rec})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE bill_import SET pre_stamp = $2, pre_summary = $3, pre_unbilled = $4 WHERE id = $1`, only, now, summary, encodeUnbilled(us))
	return err
}

// classifyLines streams the lines from a second connection (a transaction cannot read
// and COPY at once), classifies them and writes the results that differ from the
// ones the lines hold, through a temporary table, into bill_row. The reader sees the
// committed state; the account's advisory lock, held by tx, keeps that state still.
func (n *Node) classifyLines(ctx context.Context, tx pgx.Tx, tariffs tariffSet, rec *Reconciliation, digest interface{ Write([]byte) (int, error) }) error {
	conn, err := n.db.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	// JIT compiling the join costs more than it saves on a query that is run once.
	if _, err := conn.Exec(ctx, `SET work_mem = '256MB'; SET jit = off`); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `RESET work_mem; RESET jit`) //nolint:errcheck
	rows, err := conn.Query(ctx, `
		SELECT r.import_id, r.row_no, r.waybill_no, coalesce(r.origin, ''), coalesce(r.destination, ''),
		       coalesce(r.weight_g, 0), coalesce(r.charge_g, 0), r.freight_fen, coalesce(r.insurance_fen, 0),
		       coalesce(r.receipt_fen, 0), coalesce(r.other_fen, 0), r.total_fen,
		       w.id, coalesce(w.product, ''), coalesce(w.account, ''), coalesce(w.origin_division, ''), coalesce(w.destination_division, ''),
		       coalesce(w.weight_g, 0), coalesce(w.length_mm, 0), coalesce(w.width_mm, 0), coalesce(w.height_mm, 0),
		       coalesce(w.declared_value_fen, 0), coalesce(w.insured, false), coalesce(w.return_receipt, false),
		       coalesce(w.created_at, 'epoch'), w.voided_at, c.waybill_id IS NOT NULL,
		       r.res_waybill_id, coalesce(r.res_class, ''), r.res_expected_fen, r.res_expected_charge_g, r.res_tariff_id
		FROM bill_row r
		JOIN bill_import i ON i.id = r.import_id
		LEFT JOIN waybill w ON w.carrier = i.carrier AND w.waybill_no = r.waybill_no
		LEFT JOIN (SELECT DISTINCT c.waybill_id FROM recon_line c
		           WHERE c.waybill_id IS NOT NULL AND c.class NOT IN ('duplicate', 'credit')
		             AND (c.period < $3 OR c.period IN (SELECT period FROM period_close WHERE status = 'closed'))
		             AND NOT (c.carrier = $1 AND c.account = $2 AND c.period = $3)) c ON c.waybill_id = w.id
		WHERE i.carrier = $1 AND i.account = $2 AND i.period = $3 AND i.status = 'accepted'
		  AND r.error IS NULL AND r.known_in IS NULL
		ORDER BY r.import_id, r.row_no`, rec.Carrier, rec.Account, rec.Period)
	if err != nil {
		return err
	}
	defer rows.Close()
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE recon_fix (import_id bigint, row_no int, waybill_id bigint, class text,
		expected_fen bigint, expected_charge_g bigint, tariff_id bigint) ON COMMIT DROP`); err != nil {
		return err
	}
	cls := &classifier{n: n, tariffs: tariffs, rec: rec, rows: rows, digest: digest, seen: map[int64]struct{}{}}
	fixed, err := copyText(ctx, tx, "recon_fix", []string{"import_id", "row_no", "waybill_id", "class", "expected_fen",
		"expected_charge_g", "tariff_id"}, cls.next)
	if err != nil {
		if cls.err != nil {
			return cls.err
		}
		return err
	}
	if cls.err != nil {
		return cls.err
	}
	if fixed > 0 {
		if _, err := tx.Exec(ctx, `UPDATE bill_row r SET res_waybill_id = f.waybill_id, res_class = f.class, res_expected_fen = f.expected_fen,
			res_expected_charge_g = f.expected_charge_g, res_tariff_id = f.tariff_id
			FROM recon_fix f WHERE r.import_id = f.import_id AND r.row_no = f.row_no`); err != nil {
			return err
		}
	}
	return nil
}

// classifier turns joined lines into result rows for copyText.
type classifier struct {
	n       *Node
	tariffs tariffSet
	rec     *Reconciliation
	rows    pgx.Rows
	digest  interface{ Write([]byte) (int, error) }
	// seen holds the waybills named by a line so far: lines come in file order, so a
	// waybill's first line is the one that may claim it (8 bytes a waybill, not the line).
	seen map[int64]struct{}
	l    lineRow
	was  stored // the result the line holds
	err  error
}

func (c *classifier) next(b []byte) ([]byte, bool, error) {
	for {
		if !c.rows.Next() {
			c.err = c.rows.Err()
			return b, false, c.err
		}
		l, was := &c.l, &c.was
		if err := c.rows.Scan(&l.importID, &l.rowNo, &l.waybillNo, &l.origin, &l.dest, &l.weightG, &l.chargeG, &l.freight,
			&l.insurance, &l.receipt, &l.other, &l.total, &l.wID, &l.wProduct, &l.wAccount, &l.wOrigin, &l.wDest,
			&l.wWeight, &l.wL, &l.wW, &l.wH, &l.wDeclared, &l.wInsured, &l.wReceipt, &l.wCreated, &l.wVoided, &l.claimed,
			&was.waybillID, &was.class, &was.expected, &was.expectedG, &was.tariffID); err != nil {
			c.err = err
			return b, false, err
		}
		first := true
		if l.wID != nil {
			_, dup := c.seen[*l.wID]
			first = !dup
			c.seen[*l.wID] = struct{}{}
		}
		r := classify(c.tariffs, c.rec, l, first, c.n.opt.Tolerance)
		c.rec.Lines++
		c.rec.Classes[r.class]++
		c.rec.Billed[r.class] += r.billed
		digestResult(c.digest, &r)
		if sameResult(&r, was) {
			continue
		}
		b = tint(b, r.importID)
		b = tint(tsep(b, false), int64(r.rowNo))
		return appendResult(tsep(b, false), &r), true, nil
	}
}

// sameResult reports whether a line already holds the result r.
func sameResult(r *result, was *stored) bool {
	eq := func(p *int64, v int64) bool { return p == nil && !r.priced || p != nil && r.priced && *p == v }
	return r.class == was.class && (r.waybillID == nil && was.waybillID == nil || r.waybillID != nil && was.waybillID != nil && *r.waybillID == *was.waybillID) &&
		eq(was.expected, r.expected) && eq(was.expectedG, r.expectedG) && eq(was.tariffID, r.tariffID)
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// classify decides one line. The order matters: a line that should not exist at all
// (credit, not ours, billed twice, voided) is that first; for our live waybills the
// cause comes before the symptom, so inflated weight or a wrong zone is reported as
// such rather than as a bare overcharge.
func classify(ts tariffSet, rec *Reconciliation, l *lineRow, first bool, tol Tolerance) result {
	r := result{importID: l.importID, rowNo: l.rowNo, billed: l.total, billedG: l.chargeG}
	switch {
	case l.total < 0:
		r.class, r.waybillID = ClassCredit, l.wID
		return r
	case l.wID == nil:
		r.class = ClassUnknown
		return r
	}
	r.waybillID = l.wID
	switch {
	case l.wAccount != rec.Account:
		r.class = ClassWrongAccount
		return r
	case !first || l.claimed:
		r.class = ClassDuplicate
		return r
	case l.wVoided != nil:
		r.class = ClassVoidedBilled
		return r
	}
	t := ts.pick(rec.Carrier, l.wProduct, l.wAccount, l.wCreated)
	if t == nil {
		r.class = ClassNoTariff
		return r
	}
	fee, err := expectedFee(t, parcelOf(rec.Carrier, l), false)
	if err != nil {
		r.class = ClassNoTariff
		return r
	}
	diff := l.total - fee.TotalFen
	r.priced, r.expected, r.expectedG, r.tariffID = true, fee.TotalFen, fee.ChargeableG, t.ID
	switch {
	case l.chargeG > 0 && l.chargeG != fee.ChargeableG && !tol.within(diff, fee.TotalFen):
		r.class = ClassWeight
	case (l.origin != "" && l.origin != l.wOrigin[:2]) || (l.dest != "" && l.dest != l.wDest[:2]):
		r.class = ClassZone
	case l.insurance > 0 && fee.InsuranceFen == 0, l.receipt > 0 && fee.ReceiptFen == 0, l.other > 0 && fee.OtherFen == 0:
		r.class = ClassSurcharge
	case tol.within(diff, fee.TotalFen):
		r.class = ClassMatched
	case diff > 0:
		r.class = ClassOvercharged
	default:
		r.class = ClassUndercharged
	}
	return r
}

func parcelOf(carrier string, l *lineRow) Parcel {
	return Parcel{Carrier: carrier, Product: l.wProduct, Account: l.wAccount, OriginDivision: l.wOrigin, DestDivision: l.wDest,
		WeightG: l.wWeight, LengthMM: l.wL, WidthMM: l.wW, HeightMM: l.wH, Insured: l.wInsured,
		DeclaredValueFen: l.wDeclared, ReturnReceipt: l.wReceipt, CreatedAt: l.wCreated}
}

// recordUnbilled lists the account's live waybills created up to the period's end
// that no line of this or an earlier period claims: they carry forward. The lines of
// the period count as claims already, though not yet published.
func (n *Node) recordUnbilled(ctx context.Context, tx pgx.Tx, ts tariffSet, rec *Reconciliation, digest interface{ Write([]byte) (int, error) }) ([]unbilledEntry, error) {
	// NOT IN over the claims (hashed, none of them NULL): the view has no index to probe.
	ws, err := n.waybillsWhere(ctx, tx, `w.carrier = $1 AND w.account = $2 AND w.period <= $3 AND w.voided_at IS NULL
		AND w.id NOT IN (SELECT c.waybill_id FROM recon_line c WHERE c.waybill_id IS NOT NULL AND c.class NOT IN ('duplicate', 'credit') AND c.period <= $3)
		AND w.id NOT IN (SELECT r.res_waybill_id FROM bill_row r JOIN bill_import i ON i.id = r.import_id
			WHERE i.carrier = $1 AND i.account = $2 AND i.period = $3 AND i.status = 'accepted' AND r.error IS NULL AND r.known_in IS NULL
			  AND r.res_waybill_id IS NOT NULL AND r.res_class NOT IN ('duplicate', 'credit'))`,
		rec.Carrier, rec.Account, rec.Period)
	if err != nil {
		return nil, err
	}
	us := make([]unbilledEntry, 0, len(ws))
	for _, w := range ws {
		u := unbilledEntry{id: w.ID, expected: -1}
		if t := ts.pick(w.Carrier, w.Product, w.Account, w.CreatedAt); t != nil {
			if fee, err := expectedFee(t, w.parcel(), false); err == nil {
				u.expected = fee.TotalFen
				rec.UnbilledFen += fee.TotalFen
			}
		}
		digestUnbilled(digest, u)
		us = append(us, u)
	}
	rec.Unbilled = len(us)
	return us, nil
}

// ReconLine is one line's result for the API and the dispute file.
type ReconLine struct {
	ImportID        int64  `json:"import_id"`
	Row             int    `json:"row"`
	Waybill         string `json:"waybill"`
	Class           string `json:"class"`
	BilledFen       int64  `json:"billed_fen"`
	ExpectedFen     *int64 `json:"expected_fen"`
	DiffFen         *int64 `json:"diff_fen"`
	BilledChargeG   *int64 `json:"billed_charge_g"`
	ExpectedChargeG *int64 `json:"expected_charge_g"`
	CaseNo          string `json:"case_no,omitempty"`
}

// ReconLines lists results of a period, optionally of one class, in waybill order.
func (n *Node) ReconLines(ctx context.Context, carrier, account string, period Period, class string, limit, offset int) ([]ReconLine, error) {
	rows, err := n.db.Query(ctx, `SELECT l.import_id, l.row_no, r.waybill_no, l.class, l.billed_fen, l.expected_fen, l.diff_fen,
		l.billed_charge_g, l.expected_charge_g, coalesce(w.case_no, '')
		FROM recon_line l JOIN bill_row r USING (import_id, row_no) LEFT JOIN waybill w ON w.id = l.waybill_id
		WHERE l.carrier = $1 AND l.account = $2 AND l.period = $3 AND ($4 = '' OR l.class = $4)
		ORDER BY r.waybill_no, l.import_id, l.row_no LIMIT $5 OFFSET $6`, carrier, account, period, class, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("settlement: recon lines: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReconLine, error) {
		var l ReconLine
		err := r.Scan(&l.ImportID, &l.Row, &l.Waybill, &l.Class, &l.BilledFen, &l.ExpectedFen, &l.DiffFen, &l.BilledChargeG, &l.ExpectedChargeG, &l.CaseNo)
		return l, err
	})
}

// LastReconciliation returns the latest run of an account and period.
func (n *Node) LastReconciliation(ctx context.Context, carrier, account string, period Period) (Reconciliation, error) {
	rec := Reconciliation{Carrier: carrier, Account: account, Period: string(period), Classes: map[string]int{}, Billed: map[string]int64{}}
	var digest []byte
	err := n.db.QueryRow(ctx, `SELECT id, at, lines, unbilled, digest FROM recon_run WHERE carrier = $1 AND account = $2 AND period = $3
		ORDER BY id DESC LIMIT 1`, carrier, account, period).Scan(&rec.RunID, &rec.At, &rec.Lines, &rec.Unbilled, &digest)
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, ErrNotFound
	}
	if err != nil {
		return rec, fmt.Errorf("settlement: reconciliation: %w", err)
	}
	rec.Digest = hex.EncodeToString(digest)
	rows, err := n.db.Query(ctx, `SELECT class, count(*), sum(billed_fen) FROM recon_line WHERE carrier = $1 AND account = $2 AND period = $3 GROUP BY class`,
		carrier, account, period)
	if err != nil {
		return rec, fmt.Errorf("settlement: reconciliation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var k int
		var s int64
		if err := rows.Scan(&c, &k, &s); err != nil {
			return rec, err
		}
		rec.Classes[c], rec.Billed[c] = k, s
	}
	if err := rows.Err(); err != nil {
		return rec, err
	}
	err = n.db.QueryRow(ctx, `SELECT coalesce(sum(expected_fen), 0) FROM recon_unbilled WHERE carrier = $1 AND account = $2 AND period = $3`,
		carrier, account, period).Scan(&rec.UnbilledFen)
	return rec, err
}
