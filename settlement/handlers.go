package settlement

import (
	"net/http"
	"strconv"
)

func (n *Node) listWaybills(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := queryPeriod(r, "period", true)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after", 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	ws, err := n.ListWaybills(r.Context(), q.Get("carrier"), q.Get("account"), p, int64(after), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"waybills": nonNil(ws)})
}

func (n *Node) getWaybill(w http.ResponseWriter, r *http.Request) error {
	wb, err := n.FindWaybill(r.Context(), r.PathValue("carrier"), r.PathValue("number"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wb)
}

func (n *Node) getWaybillFee(w http.ResponseWriter, r *http.Request) error {
	fee, err := n.WaybillFee(r.Context(), r.PathValue("carrier"), r.PathValue("number"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, fee)
}

func (n *Node) listQuarantine(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	qs, err := n.Quarantine(r.Context(), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"messages": nonNil(qs)})
}

func (n *Node) postReplay(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := n.Replay(r.Context(), id, who); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"replayed": id})
}

func (n *Node) listTariffs(w http.ResponseWriter, r *http.Request) error {
	ts, err := n.Tariffs(r.Context(), r.URL.Query().Get("carrier"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tariffs": nonNil(ts)})
}

func (n *Node) postTariff(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	var t Tariff
	if err := decodeJSON(r, &t); err != nil {
		return err
	}
	t, err = n.CreateTariff(r.Context(), who, t)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (n *Node) getTariff(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := n.Tariff(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

// postImport takes the bill file as the raw request body and streams it through.
func (n *Node) postImport(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p, err := queryPeriod(r, "period", false)
	if err != nil {
		return err
	}
	accept, _ := strconv.ParseBool(q.Get("accept_rejections"))
	imp, err := n.ImportBill(r.Context(), ImportRequest{Carrier: q.Get("carrier"), Account: q.Get("account"), Period: p,
		FileName: q.Get("file_name"), Encoding: q.Get("encoding"), Actor: who, AcceptRejections: accept}, r.Body)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	switch {
	case imp.Repeat:
		status = http.StatusOK
	case imp.Status == "needs_review":
		status = http.StatusUnprocessableEntity
	}
	return writeJSON(w, status, imp)
}

func (n *Node) getImport(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	imp, err := n.Import(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, imp)
}

func (n *Node) getImportErrors(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after", 0, 1<<30)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1000, 10000)
	if err != nil {
		return err
	}
	if _, err := n.Import(r.Context(), id); err != nil {
		return err
	}
	rows, err := n.ImportErrors(r.Context(), id, after, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"errors": nonNil(rows)})
}

func (n *Node) postImportDecision(accept bool) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		who, err := actor(r)
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		imp, err := n.decideImport(r.Context(), id, who, accept)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, imp)
	}
}

func (n *Node) postReconcile(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	var req struct {
		Carrier string `json:"carrier"`
		Account string `json:"account"`
		Period  string `json:"period"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := ParsePeriod(req.Period)
	if err != nil {
		return err
	}
	rec, err := n.Reconcile(r.Context(), req.Carrier, req.Account, p, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (n *Node) getReconciliation(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	rec, err := n.LastReconciliation(r.Context(), r.PathValue("carrier"), r.PathValue("account"), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rec)
}

func (n *Node) getReconLines(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 1000, 10000)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0, 1<<30)
	if err != nil {
		return err
	}
	ls, err := n.ReconLines(r.Context(), r.PathValue("carrier"), r.PathValue("account"), p, r.URL.Query().Get("class"), limit, offset)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"lines": nonNil(ls)})
}

func (n *Node) postDispute(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	var req struct {
		ImportID int64  `json:"import_id"`
		Row      int    `json:"row"`
		Reason   string `json:"reason"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := n.OpenDispute(r.Context(), req.ImportID, req.Row, req.Reason, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, d)
}

func (n *Node) listDisputes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ds, err := n.Disputes(r.Context(), q.Get("carrier"), q.Get("account"), q.Get("status"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"disputes": nonNil(ds)})
}

func (n *Node) exportDisputes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("carrier") == "" || q.Get("account") == "" {
		return fieldErr("carrier", "须指定承运商和账户", "carrier and account are required")
	}
	b, err := n.ExportDisputes(r.Context(), q.Get("carrier"), q.Get("account"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="disputes-`+q.Get("carrier")+`.csv"`)
	_, err = w.Write(b)
	return err
}

func (n *Node) getDispute(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := n.Dispute(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (n *Node) postOutcome(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Outcome   string `json:"outcome"`
		AgreedFen int64  `json:"agreed_fen"`
		Note      string `json:"note"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := n.DecideDispute(r.Context(), id, req.Outcome, req.AgreedFen, req.Note, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (n *Node) postCredit(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		AmountFen int64  `json:"amount_fen"`
		Reference string `json:"reference"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	d, err := n.RecordCredit(r.Context(), id, req.AmountFen, req.Reference, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (n *Node) getClose(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	c, err := n.Close(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (n *Node) postPrepare(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	c, err := n.PrepareClose(r.Context(), p, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (n *Node) postApprove(w http.ResponseWriter, r *http.Request) error {
	who, err := actor(r)
	if err != nil {
		return err
	}
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	c, err := n.ApproveClose(r.Context(), p, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (n *Node) getAllocations(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	as, err := n.Allocations(r.Context(), p, r.URL.Query().Get("hall"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"allocations": nonNil(as)})
}

var statementTypes = map[string]string{"csv": "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html; charset=utf-8"}

func (n *Node) getStatement(w http.ResponseWriter, r *http.Request) error {
	p, err := ParsePeriod(r.PathValue("period"))
	if err != nil {
		return err
	}
	format := r.PathValue("format")
	ctype, ok := statementTypes[format]
	if !ok {
		return fieldErr("format", "格式须为 csv、xlsx 或 html", "format must be csv, xlsx or html")
	}
	body, sum, err := n.Statement(r.Context(), p, r.PathValue("kind"), r.PathValue("subject"), format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-SHA256", sum)
	if format != "html" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+string(p)+"-"+r.PathValue("kind")+"-"+r.PathValue("subject")+"."+format+`"`)
	}
	_, err = w.Write(body)
	return err
}

func (n *Node) getAudit(w http.ResponseWriter, r *http.Request) error {
	after, err := queryInt(r, "after", 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1000)
	if err != nil {
		return err
	}
	es, err := n.AuditLog(r.Context(), int64(after), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": nonNil(es)})
}

func (n *Node) getAuditVerify(w http.ResponseWriter, r *http.Request) error {
	v, err := n.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !v.OK {
		status = http.StatusConflict
	}
	return writeJSON(w, status, v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
