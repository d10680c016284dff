package settlement

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

type disputesView struct {
	Carrier, Account, Status string
	Carriers                 []string
	Accounts                 []string
	Disputes                 []Dispute
	CanDecide                bool
	ExportURL                string
	Outcomes                 []string
}

func (c *console) disputes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := disputesView{Carrier: q.Get("carrier"), Account: strings.TrimSpace(q.Get("account")), Status: q.Get("status"),
		Carriers: c.carriers(), CanDecide: hasRole(r, preparers), Outcomes: []string{DisputeUpheld, DisputePartly, DisputeReject}}
	var err error
	if v.Accounts, err = c.knownAccounts(r); err != nil {
		return err
	}
	if v.Disputes, err = c.n.Disputes(r.Context(), v.Carrier, v.Account, v.Status); err != nil {
		return err
	}
	if v.Carrier != "" && v.Account != "" {
		v.ExportURL = "/finance/disputes/export?" + url.Values{"carrier": {v.Carrier}, "account": {v.Account}}.Encode()
	}
	return c.render(w, r, "disputes", "disputes.title", v)
}

// postDisputes opens a dispute for each line ticked on the reconciliation page, all
// with the one reason given, and goes back there.
func (c *console) postDisputes(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	back := r.PostFormValue("back")
	if !c.site.LocalPath(back) {
		back = "/finance/recon"
	}
	lines := r.PostForm["line"]
	if len(lines) == 0 {
		return c.back(w, r, back, c.site.Msg("warn", "disputes.none_ticked"))
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	opened := 0
	for _, l := range lines {
		imp, row, ok := strings.Cut(l, ":")
		importID, err1 := strconv.ParseInt(imp, 10, 64)
		rowNo, err2 := strconv.Atoi(row)
		if !ok || err1 != nil || err2 != nil {
			return c.fail(w, r, back, fieldErr("line", "行号无效", "invalid line reference"))
		}
		if _, err := c.n.OpenDispute(r.Context(), importID, rowNo, reason, actorName); err != nil {
			if opened > 0 {
				c.site.Flash(w, r, c.site.Msg("warn", "disputes.partly", opened))
			}
			return c.fail(w, r, back, err)
		}
		opened++
	}
	return c.back(w, r, back, c.site.Msg("ok", "disputes.opened", opened))
}

func (c *console) exportDisputes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	carrier, account := q.Get("carrier"), q.Get("account")
	if carrier == "" || account == "" {
		return fieldErr("carrier", "须指定承运商和账户", "carrier and account are required")
	}
	b, err := c.n.ExportDisputes(r.Context(), carrier, account)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="disputes-`+safeName(carrier)+"-"+safeName(account)+`.csv"`)
	_, err = w.Write(b)
	return err
}

// postOutcome records what the carrier answered to a dispute.
func (c *console) postOutcome(w http.ResponseWriter, r *http.Request) error {
	actorName, err := who(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	back := r.PostFormValue("back")
	if !c.site.LocalPath(back) {
		back = "/finance/disputes"
	}
	var agreed int64
	if s := strings.TrimSpace(r.PostFormValue("agreed_yuan")); s != "" {
		agreed, err = parseDecimal(s, 2)
		if err != nil {
			return c.fail(w, r, back, fieldErr("agreed_yuan", "同意退还金额须为元，最多两位小数", "the agreed credit must be in yuan with at most two decimals"))
		}
	}
	if _, err := c.n.DecideDispute(r.Context(), id, r.PostFormValue("outcome"), agreed, strings.TrimSpace(r.PostFormValue("note")), actorName); err != nil {
		return c.fail(w, r, back, err)
	}
	return c.back(w, r, back, c.site.Msg("ok", "disputes.decided", id))
}

// safeName keeps a file name to letters, digits, dot, dash and underscore.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
