package settlement

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/tongban/tongban/internal/auth"
)

type closeView struct {
	Period     string
	Close      *Close
	Identity   ItemTotal // previous + new − cleared, to compare with Open
	IdentityOK bool
	CanPrepare bool
	CanApprove bool
	// SelfApproval is true when the approver looking at the page prepared it: the
	// page says so and the button is not offered (the server refuses it anyway).
	SelfApproval bool
	Periods      []string
}

func (c *console) closePage(w http.ResponseWriter, r *http.Request) error {
	ps := r.URL.Query().Get("period")
	if ps == "" {
		ps = string(c.defaultPeriod())
	}
	p, err := ParsePeriod(ps)
	if err != nil {
		return err
	}
	v := closeView{Period: string(p)}
	if v.Periods, err = c.closePeriods(r); err != nil {
		return err
	}
	cl, err := c.n.Close(r.Context(), p)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		v.Close = &cl
		s := cl.Summary
		v.Identity = ItemTotal{Count: s.Previous.Count + s.New.Count - s.Cleared.Count, Fen: s.Previous.Fen + s.New.Fen - s.Cleared.Fen}
		v.IdentityOK = v.Identity == s.Open
	}
	me, _ := auth.FromContext(r.Context())
	open := v.Close == nil || v.Close.Status == "prepared"
	v.CanPrepare = open && hasRole(r, preparers)
	if v.Close != nil && v.Close.Status == "prepared" && hasRole(r, approvers) {
		v.SelfApproval = me != nil && me.Username == v.Close.PreparedBy
		v.CanApprove = !v.SelfApproval
	}
	return c.render(w, r, "close", "close.title", v)
}

// closePeriods are the periods with a close, newest first, for quick links.
func (c *console) closePeriods(r *http.Request) ([]string, error) {
	rows, err := c.n.db.Query(r.Context(), `SELECT period FROM period_close ORDER BY period DESC LIMIT 24`)
	if err != nil {
		return nil, err
	}
	var out []string
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (c *console) postPrepare(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	to := "/finance/close?period=" + string(p)
	cl, err := c.n.PrepareClose(r.Context(), p, actorName)
	if err != nil {
		return c.fail(w, r, to, err)
	}
	return c.back(w, r, to, c.site.Msg("ok", "close.prepared_msg", string(p), Yuan(cl.PayableFen)))
}

func (c *console) postApprove(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	to := "/finance/close?period=" + string(p)
	if _, err := c.n.ApproveClose(r.Context(), p, actorName); err != nil {
		if errors.Is(err, ErrMakerChecker) {
			return c.back(w, r, to, c.site.Msg("error", "close.same_user"))
		}
		return c.fail(w, r, to, err)
	}
	return c.back(w, r, to, c.site.Msg("ok", "close.approved_msg", string(p)))
}

type allocView struct {
	Period      string
	Hall        string
	Allocations []Allocation
	TotalFen    int64
}

func (c *console) allocations(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	hall := r.URL.Query().Get("hall")
	as, err := c.n.Allocations(r.Context(), p, hall)
	if err != nil {
		return err
	}
	v := allocView{Period: string(p), Hall: hall, Allocations: as}
	for _, a := range as {
		v.TotalFen += a.AmountFen
	}
	return c.render(w, r, "allocations", "alloc.title", v)
}

// statement serves a stored statement with its SHA-256 in a header; the HTML one
// opens in the browser for printing, the others download.
func (c *console) statement(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	format, kind, subject := r.PathValue("format"), r.PathValue("kind"), r.PathValue("subject")
	ctype, ok := statementTypes[format]
	if !ok {
		return ErrNotFound
	}
	body, sum, err := c.n.Statement(r.Context(), p, kind, subject, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-SHA256", sum)
	if format != "html" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+string(p)+"-"+safeName(kind)+"-"+safeName(subject)+"."+format+`"`)
	}
	_, err = w.Write(body)
	return err
}

func (c *console) quarantine(w http.ResponseWriter, r *http.Request) error {
	qs, err := c.n.Quarantine(r.Context(), 200)
	if err != nil {
		return err
	}
	return c.render(w, r, "quarantine", "quarantine.title", qs)
}

func (c *console) postReplay(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := c.n.Replay(r.Context(), id, actorName); err != nil {
		return c.fail(w, r, "/finance/quarantine", err)
	}
	return c.back(w, r, "/finance/quarantine", c.site.Msg("ok", "quarantine.replayed", id))
}

type auditView struct {
	Verdict AuditVerdict
	Head    string
	Entries []AuditEntry
	After   int64
	Next    int64
}

const auditPerPage = 100

func (c *console) audit(w http.ResponseWriter, r *http.Request) error {
	v := auditView{}
	var err error
	if v.Verdict, err = c.n.VerifyAudit(r.Context()); err != nil {
		return err
	}
	v.Head = hex.EncodeToString(v.Verdict.Head)
	if q := r.URL.Query(); q.Has("after") {
		v.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
		v.After = max(v.After, 0)
	} else {
		// The latest page by default: finance looks at what just happened.
		v.After = max(v.Verdict.Entries-auditPerPage, 0)
	}
	es, err := c.n.AuditLog(r.Context(), v.After, auditPerPage+1)
	if err != nil {
		return err
	}
	if len(es) > auditPerPage {
		es = es[:auditPerPage]
		v.Next = es[len(es)-1].Seq
	}
	v.Entries = es
	return c.render(w, r, "audit", "audit.title", v)
}
