package settlement

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// linesPerPage bounds the lines shown at once; each carries its fee trace.
const linesPerPage = 50

// reconQuery is the account, period and filter a reconciliation page shows.
type reconQuery struct {
	Carrier, Account, Period, Class string
	Offset                          int
}

func (q reconQuery) URL(class string, offset int) string {
	v := url.Values{"carrier": {q.Carrier}, "account": {q.Account}, "period": {q.Period}}
	if class != "" {
		v.Set("class", class)
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return "/finance/recon?" + v.Encode()
}

// reconLineView is a line with its expected-fee trace and dispute state.
type reconLineView struct {
	ReconLine
	Fee      *Fee
	Disputed bool
}

type classCount struct {
	Class     string
	Count     int
	BilledFen int64
	Problem   bool
}

type reconRunRow struct {
	Carrier, Account, Period, Actor string
	Lines, Unbilled                 int
	At                              time.Time
}

type reconView struct {
	Q          reconQuery
	Carriers   []string
	Accounts   []string
	Selected   bool
	Rec        *Reconciliation
	Summary    []classCount
	Lines      []reconLineView
	Unbilled   []unbilledRow
	Next, Prev int
	HasPrev    bool
	CanRun     bool
	CanDispute bool
	Runs       []reconRunRow
}

// unbilledRow is our waybill the carrier has not billed by the period's end.
type unbilledRow struct {
	Waybill, CaseNo string
	ExpectedFen     *int64
	CreatedAt       time.Time
}

func (c *console) recon(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	q := reconQuery{Carrier: qs.Get("carrier"), Account: strings.TrimSpace(qs.Get("account")), Period: qs.Get("period"), Class: qs.Get("class")}
	q.Offset, _ = strconv.Atoi(qs.Get("offset"))
	q.Offset = max(q.Offset, 0)
	if q.Period == "" {
		q.Period = string(c.defaultPeriod())
	}
	accts, err := c.knownAccounts(r)
	if err != nil {
		return err
	}
	v := reconView{Q: q, Carriers: c.carriers(), Accounts: accts, CanRun: hasRole(r, preparers), CanDispute: hasRole(r, preparers)}
	if v.Runs, err = c.recentRuns(r); err != nil {
		return err
	}
	if q.Carrier == "" || q.Account == "" {
		return c.render(w, r, "recon", "recon.title", v)
	}
	p, err := ParsePeriod(q.Period)
	if err != nil {
		return err
	}
	if q.Class != "" && q.Class != ClassNotBilledYet && !slices.Contains(Classes, q.Class) {
		return fieldErr("class", "没有该对账类别", "no such reconciliation class")
	}
	v.Selected = true
	rec, err := c.n.LastReconciliation(r.Context(), q.Carrier, q.Account, p)
	if errors.Is(err, ErrNotFound) {
		return c.render(w, r, "recon", "recon.title", v)
	}
	if err != nil {
		return err
	}
	v.Rec = &rec
	for _, cl := range Classes {
		if n := rec.Classes[cl]; n > 0 || cl == ClassMatched {
			v.Summary = append(v.Summary, classCount{Class: cl, Count: n, BilledFen: rec.Billed[cl], Problem: cl != ClassMatched && cl != ClassCredit})
		}
	}
	v.Summary = append(v.Summary, classCount{Class: ClassNotBilledYet, Count: rec.Unbilled, BilledFen: rec.UnbilledFen, Problem: rec.Unbilled > 0})
	v.Prev, v.HasPrev = max(q.Offset-linesPerPage, 0), q.Offset > 0
	if q.Class == ClassNotBilledYet {
		v.Unbilled, err = c.unbilled(r, q, p)
		if err != nil {
			return err
		}
		if len(v.Unbilled) > linesPerPage {
			v.Unbilled, v.Next = v.Unbilled[:linesPerPage], q.Offset+linesPerPage
		}
		return c.render(w, r, "recon", "recon.title", v)
	}
	lines, err := c.n.ReconLines(r.Context(), q.Carrier, q.Account, p, q.Class, linesPerPage+1, q.Offset)
	if err != nil {
		return err
	}
	if len(lines) > linesPerPage {
		lines, v.Next = lines[:linesPerPage], q.Offset+linesPerPage
	}
	if v.Lines, err = c.withTraces(r, q.Carrier, lines); err != nil {
		return err
	}
	return c.render(w, r, "recon", "recon.title", v)
}

// withTraces prices each line's waybill again, step by step, by the tariff the
// reconciliation used, and marks the lines already disputed.
func (c *console) withTraces(r *http.Request, carrier string, lines []ReconLine) ([]reconLineView, error) {
	ctx := r.Context()
	ts, err := loadTariffs(ctx, c.n.db, carrier)
	if err != nil {
		return nil, fmt.Errorf("settlement: console trace: %w", err)
	}
	disputed := map[[2]int64]bool{}
	if len(lines) > 0 {
		ids := make([]int64, 0, len(lines))
		for _, l := range lines {
			ids = append(ids, l.ImportID)
		}
		rows, err := c.n.db.Query(ctx, `SELECT import_id, row_no FROM dispute WHERE import_id = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("settlement: console disputes: %w", err)
		}
		pairs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]int64, error) {
			var p [2]int64
			err := row.Scan(&p[0], &p[1])
			return p, err
		})
		if err != nil {
			return nil, fmt.Errorf("settlement: console disputes: %w", err)
		}
		for _, p := range pairs {
			disputed[p] = true
		}
	}
	out := make([]reconLineView, 0, len(lines))
	for _, l := range lines {
		v := reconLineView{ReconLine: l, Disputed: disputed[[2]int64{l.ImportID, int64(l.Row)}]}
		if l.ExpectedFen != nil {
			wb, err := c.n.FindWaybill(ctx, carrier, l.Waybill)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
			if err == nil {
				if t := ts.pick(wb.Carrier, wb.Product, wb.Account, wb.CreatedAt); t != nil {
					if fee, err := ExpectedFee(t, wb.parcel()); err == nil {
						v.Fee = &fee
					}
				}
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *console) unbilled(r *http.Request, q reconQuery, p Period) ([]unbilledRow, error) {
	rows, err := c.n.db.Query(r.Context(), `SELECT w.waybill_no, w.case_no, u.expected_fen, w.created_at FROM recon_unbilled u
		JOIN waybill w ON w.id = u.waybill_id WHERE u.carrier = $1 AND u.account = $2 AND u.period = $3
		ORDER BY w.waybill_no LIMIT $4 OFFSET $5`, q.Carrier, q.Account, p, linesPerPage+1, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("settlement: console unbilled: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (unbilledRow, error) {
		var u unbilledRow
		err := row.Scan(&u.Waybill, &u.CaseNo, &u.ExpectedFen, &u.CreatedAt)
		return u, err
	})
}

// recentRuns are the latest reconciliation of each account and period.
func (c *console) recentRuns(r *http.Request) ([]reconRunRow, error) {
	rows, err := c.n.db.Query(r.Context(), `SELECT DISTINCT ON (carrier, account, period) carrier, account, period, actor, lines, unbilled, at
		FROM recon_run ORDER BY carrier, account, period DESC, id DESC LIMIT 20`)
	if err != nil {
		return nil, fmt.Errorf("settlement: console runs: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (reconRunRow, error) {
		var x reconRunRow
		err := row.Scan(&x.Carrier, &x.Account, &x.Period, &x.Actor, &x.Lines, &x.Unbilled, &x.At)
		return x, err
	})
}

// postRecon runs the reconciliation of an account and period and shows the result.
func (c *console) postRecon(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	q := reconQuery{Carrier: r.PostFormValue("carrier"), Account: strings.TrimSpace(r.PostFormValue("account")), Period: r.PostFormValue("period")}
	p, err := ParsePeriod(q.Period)
	if err != nil {
		return c.fail(w, r, "/finance/recon", err)
	}
	rec, err := c.n.Reconcile(r.Context(), q.Carrier, q.Account, p, actorName)
	if err != nil {
		return c.fail(w, r, q.URL("", 0), err)
	}
	return c.back(w, r, q.URL("", 0), c.site.Msg("ok", "recon.done", rec.Lines, rec.Unbilled))
}
