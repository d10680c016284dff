package handoff

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/handoff/ident"
	"github.com/tongban/tongban/internal/web"
)

type hallView struct {
	Incoming []*Case // announced, the parcel not yet signed for
	Working  []*Case // signed for, being decided or sent back
	Scan     string
}

var (
	beforeParcel = []State{Dispatched, InTransit, Delivered}
	inWork       = []State{Received, UnderReview, CorrectionRequested, Paused, Concluded}
)

// hall is the partner hall's desk: the scan box, the cases announced ahead of their
// parcels, and the cases being decided.
func (c *console) hall(w http.ResponseWriter, r *http.Request) error {
	in, err := c.n.caseList(r.Context(), "incoming", beforeParcel, "", 100)
	if err != nil {
		return err
	}
	work, err := c.n.caseList(r.Context(), "incoming", inWork, "", 100)
	if err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "hall", "hall.title", hallView{Incoming: in, Working: work, Scan: r.URL.Query().Get("scan")})
}

// findIncoming resolves a scan (a case number, whose check character catches a
// mistyped digit, or a waybill) to a case this hall decides.
func (n *Node) findIncoming(ctx context.Context, scan string) (string, error) {
	scan = strings.ToUpper(strings.TrimSpace(scan))
	if scan == "" {
		return "", fieldErr("scan", "请扫描办件编号或运单号", "scan the case number or the waybill")
	}
	if _, err := ident.ParseCaseNo(scan); err != nil {
		var ce *ident.CaseNoError
		if errors.As(err, &ce) && len(scan) == ident.CaseNoLen && isDigits(scan[:19]) {
			return "", fieldErr("scan", "办件编号有误（"+ce.MessageZH()+"），请重新扫描", "mistyped case number ("+ce.MessageEN()+"); scan again")
		}
	}
	var id string
	err := n.opt.DB.QueryRow(ctx, `SELECT id::text FROM cases WHERE (case_no = $1 OR waybill = $1) AND destination = $2
		ORDER BY intake_at DESC LIMIT 1`, scan, n.opt.Code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fieldErr("scan", "本大厅没有该办件编号或运单号的来件", "no incoming case with this case number or waybill")
	}
	return id, err
}

// postScan takes what the scanner typed to the parcel's check form.
func (c *console) postScan(w http.ResponseWriter, r *http.Request) error {
	scan := r.PostFormValue("scan")
	id, err := c.n.findIncoming(r.Context(), scan)
	if err != nil {
		return c.refused(w, r, "/console/hall", err)
	}
	c.site.Redirect(w, r, "/console/hall/receive/"+id)
	return nil
}

type receiveView struct {
	Case *Case
}

// receiveForm is the manifest check: each line of the handover sheet with the counts
// found, and whether the seal is intact.
func (c *console) receiveForm(w http.ResponseWriter, r *http.Request) error {
	cs, err := c.n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if cs.Destination != c.n.opt.Code {
		return ErrNotYours
	}
	cs.mask()
	return c.render(w, r, http.StatusOK, "receive", "receive.title", receiveView{Case: cs})
}

// postReceive signs for the parcel with what was found; lines that differ go back to
// the origin as an exception, and the case is received either way.
func (c *console) postReceive(w http.ResponseWriter, r *http.Request) error {
	cs, err := c.n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	intact := r.PostFormValue("seal_intact") == "1"
	req := ReceiveRequest{Scan: cs.CaseNo, SealIntact: &intact, Items: []Item{}}
	for _, l := range cs.Manifest {
		o, _ := strconv.Atoi(r.PostFormValue("orig_" + l.ID))
		cp, _ := strconv.Atoi(r.PostFormValue("copy_" + l.ID))
		req.Items = append(req.Items, Item{ID: l.ID, Name: l.Name, Originals: o, Copies: cp})
	}
	to := "/console/cases/" + cs.ID.String()
	if _, err := c.n.Receive(r.Context(), actor(r), req); err != nil {
		return c.refused(w, r, "/console/hall/receive/"+cs.ID.String(), err)
	}
	after, err := c.n.loadCase(r.Context(), cs.ID.String())
	if err == nil && len(after.Exception) > 0 {
		return c.back(w, r, to, c.site.Msg("warn", "receive.mismatch", cs.CaseNo))
	}
	return c.back(w, r, to, c.site.Msg("ok", "receive.done", cs.CaseNo))
}

// stepFromForm reads a move's form into the Step the API would take as JSON.
func stepFromForm(r *http.Request, move string) Step {
	f := r.PostForm
	st := Step{Actor: actor(r), Note: strings.TrimSpace(f.Get("note"))}
	switch move {
	case TypeCorrectionRequested, TypeSupplementSent:
		for _, l := range lines(f.Get("items")) {
			st.Items = append(st.Items, Item{Name: l})
		}
	case TypeRejected:
		st.Reasons = lines(f.Get("reasons"))
	case TypePaused:
		st.Kind = f.Get("kind")
	case TypeConcluded:
		st.Result = &Result{Outcome: f.Get("outcome"), DocumentName: strings.TrimSpace(f.Get("document_name")),
			DocumentNo: strings.TrimSpace(f.Get("document_no")), IssuingUnit: strings.TrimSpace(f.Get("issuing_unit")),
			ValidUntil: strings.TrimSpace(f.Get("valid_until")), Reason: strings.TrimSpace(f.Get("reason"))}
	case TypeResultDispatched:
		st.Method, st.Waybill = f.Get("method"), strings.ToUpper(strings.TrimSpace(f.Get("waybill")))
	case TypeResultDelivered:
		st.SignedBy = strings.TrimSpace(f.Get("signed_by"))
	}
	return st
}

// postMove makes one of the case's moves from its form: the same transition the
// API's postStep makes, with the same columns kept for the result.
func (c *console) postMove(move string) web.PageFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := r.ParseForm(); err != nil {
			return fieldErr("body", "无法读取表单", "cannot read the form")
		}
		id := r.PathValue("id")
		to := "/console/cases/" + id
		h, err := c.n.Step(r.Context(), id, move, stepFromForm(r, move))
		if err != nil {
			return c.refused(w, r, to, err)
		}
		return c.back(w, r, to, c.site.Msg("ok", "move.done."+move, h.CaseNo))
	}
}
