package settlement

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// importRow is an import in the bills page's list.
type importRow struct {
	ID                                 int64
	Carrier, Account, Period, FileName string
	Status                             string
	Rows, Bad                          int
	BilledFen                          int64
	ImportedBy                         string
	ImportedAt                         time.Time
}

type billsView struct {
	Carriers   []string
	Accounts   []string
	Period     string
	CanUpload  bool
	Imports    []importRow
	MaxMB      int64
	UploadPath string
}

// recentImports lists the latest imports, newest first.
func (c *console) recentImports(r *http.Request, limit int) ([]importRow, error) {
	rows, err := c.n.db.Query(r.Context(), `SELECT id, carrier, account, period, file_name, status, rows_total, rows_bad, billed_fen,
		imported_by, imported_at FROM bill_import ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("settlement: console imports: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (importRow, error) {
		var i importRow
		err := row.Scan(&i.ID, &i.Carrier, &i.Account, &i.Period, &i.FileName, &i.Status, &i.Rows, &i.Bad, &i.BilledFen, &i.ImportedBy, &i.ImportedAt)
		return i, err
	})
}

// knownAccounts are the carrier accounts seen in the ledger or in bills, for the
// forms' suggestions.
func (c *console) knownAccounts(r *http.Request) ([]string, error) {
	rows, err := c.n.db.Query(r.Context(), `SELECT account FROM bill_import UNION SELECT DISTINCT account FROM waybill ORDER BY 1 LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("settlement: console accounts: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// defaultPeriod is the month finance usually works on: the one just ended.
func (c *console) defaultPeriod() Period { return PeriodOf(c.n.clock()).Prev() }

func (c *console) bills(w http.ResponseWriter, r *http.Request) error {
	imps, err := c.recentImports(r, 30)
	if err != nil {
		return err
	}
	accts, err := c.knownAccounts(r)
	if err != nil {
		return err
	}
	return c.render(w, r, "bills", "bills.title", billsView{Carriers: c.carriers(), Accounts: accts, Period: string(c.defaultPeriod()),
		CanUpload: hasRole(r, preparers), Imports: imps, MaxMB: maxBill >> 20, UploadPath: "/finance/bills"})
}

// postBill streams the uploaded bill into ImportBill: the small fields come first in
// the form, the file last, so nothing but the current part is ever held.
func (c *console) postBill(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	mr, part, err := multipartOf(r)
	if err != nil {
		return c.uploadDone(w, r, "", fieldErr("file", "请通过上传表单提交账单文件", "send the bill through the upload form"))
	}
	fields := map[string]string{}
	for {
		if part == nil {
			part, err = mr.NextPart()
			if err == io.EOF {
				return c.uploadDone(w, r, "", fieldErr("file", "请选择账单文件", "choose a bill file"))
			}
			if err != nil {
				return c.uploadDone(w, r, "", fieldErr("file", "上传中断，请重试", "the upload was cut off; try again"))
			}
		}
		name := part.FormName()
		if name != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			fields[name] = strings.TrimSpace(string(b))
			part = nil
			continue
		}
		break
	}
	if part.FileName() == "" {
		return c.uploadDone(w, r, "", fieldErr("file", "请选择账单文件", "choose a bill file"))
	}
	p, err := ParsePeriod(fields["period"])
	if err != nil {
		return c.uploadDone(w, r, "", err)
	}
	accept := fields["accept_rejections"] == "1"
	imp, err := c.n.ImportBill(r.Context(), ImportRequest{Carrier: fields["carrier"], Account: fields["account"], Period: p,
		FileName: part.FileName(), Encoding: fields["encoding"], Actor: actorName, AcceptRejections: accept}, part)
	if err != nil {
		return c.uploadDone(w, r, "", err)
	}
	_, _ = io.Copy(io.Discard, r.Body)
	key, kind := "bills.imported", "ok"
	switch {
	case imp.Repeat:
		key, kind = "bills.repeat", "info"
	case imp.Status == "needs_review":
		key, kind = "bills.review", "warn"
	}
	c.site.Flash(w, r, c.site.Msg(kind, key, imp.Rows, imp.Bad))
	return c.uploadDone(w, r, "/finance/imports/"+strconv.FormatInt(imp.ID, 10), nil)
}

// uploadDone ends an upload: a plain form gets a 303 to the next page; the script's
// request gets that address as JSON, since a redirect it followed would take the
// flash message the page it then opens should show.
func (c *console) uploadDone(w http.ResponseWriter, r *http.Request, to string, err error) error {
	if err != nil {
		p := financeProblem(err)
		if p.Status >= 500 || p.Status == http.StatusForbidden {
			return err
		}
		c.site.Flash(w, r, c.site.ProblemMsg(err))
		to = "/finance/bills"
	}
	if r.Header.Get("X-Requested-With") == "tongban" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		return json.NewEncoder(w).Encode(map[string]string{"location": to})
	}
	c.site.Redirect(w, r, to)
	return nil
}

type importView struct {
	Import    Import
	Errors    []RowReport
	After     int
	Next      int
	CanDecide bool
	CanRecon  bool
}

const errorsPerPage = 200

func (c *console) importPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	imp, err := c.n.Import(r.Context(), id)
	if err != nil {
		return err
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	errs, err := c.n.ImportErrors(r.Context(), id, max(after, 0), errorsPerPage+1)
	if err != nil {
		return err
	}
	v := importView{Import: imp, After: after, CanDecide: imp.Status == "needs_review" && hasRole(r, preparers),
		CanRecon: imp.Status == "accepted" && hasRole(r, preparers)}
	if len(errs) > errorsPerPage {
		errs = errs[:errorsPerPage]
		v.Next = errs[len(errs)-1].Row
	}
	v.Errors = errs
	return c.render(w, r, "import", "import.title", v)
}

func (c *console) postImportDecision(accept bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		actorName, err := who(r)
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		to := "/finance/imports/" + strconv.FormatInt(id, 10)
		imp, err := c.n.decideImport(r.Context(), id, actorName, accept)
		if err != nil {
			return c.fail(w, r, to, err)
		}
		key := "import.accepted"
		if !accept {
			key = "import.discarded"
		}
		return c.back(w, r, to, c.site.Msg("ok", key, imp.Good))
	}
}
