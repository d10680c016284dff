package handoff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/handoff/ident"
)

// Step makes one of the moves whose payload is a Step (accept, request-correction,
// supplement, reject, pause, resume, conclude, dispatch-result, deliver-result, close,
// withdraw): one compare-and-set transition with its message to the partner, keeping
// the result's columns for the moves that carry one. The API and the console share it.
func (n *Node) Step(ctx context.Context, ref, move string, step Step) (caseHead, error) {
	var extra func(tx pgx.Tx, c caseHead) error
	switch move {
	case TypeConcluded:
		extra = func(tx pgx.Tx, c caseHead) error {
			_, err := tx.Exec(ctx, `UPDATE cases SET result = $2 WHERE id = $1`, c.ID, step.Result)
			return err
		}
	case TypeResultDispatched:
		extra = func(tx pgx.Tx, c caseHead) error {
			_, err := tx.Exec(ctx, `UPDATE cases SET result = jsonb_set(coalesce(result, '{}'), '{dispatch}', $2::jsonb) WHERE id = $1`,
				c.ID, map[string]string{"method": step.Method, "waybill": step.Waybill})
			return err
		}
	}
	return n.localMove(ctx, ref, move, step, extra)
}

// postStep serves Step moves over the API.
func (n *Node) postStep(move string) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var step Step
		if err := decodeBody(r, &step); err != nil {
			return err
		}
		step.Actor = actor(r)
		if _, err := n.Step(r.Context(), r.PathValue("id"), move, step); err != nil {
			return err
		}
		return n.answerCase(w, r, http.StatusOK)
	}
}

// ReceiveRequest is the partner hall's sign-for: the scanned case number or waybill,
// and what was found in the parcel.
type ReceiveRequest struct {
	Scan       string `json:"scan"`
	SealIntact *bool  `json:"seal_intact,omitempty"`
	Items      []Item `json:"items,omitempty"` // the manifest check; omitted means not checked yet
}

// Receive signs for a parcel at the deciding hall. The scan is a case number (whose
// check character catches a mistyped digit) or a waybill. Lines that differ from the
// manifest are reported back to the origin as an exception; the case is received.
func (n *Node) Receive(ctx context.Context, who string, req ReceiveRequest) (caseHead, error) {
	scan := strings.ToUpper(strings.TrimSpace(req.Scan))
	if scan == "" {
		return caseHead{}, fieldErr("scan", "请扫描办件编号或运单号", "scan the case number or the waybill")
	}
	ref := scan
	if _, err := ident.ParseCaseNo(scan); err != nil {
		var ce *ident.CaseNoError
		if errors.As(err, &ce) && len(scan) == ident.CaseNoLen && isDigits(scan[:19]) {
			return caseHead{}, fieldErr("scan", "办件编号有误（"+ce.MessageZH()+"），请重新扫描", "mistyped case number ("+ce.MessageEN()+"); scan again")
		}
		var caseNo string
		err := n.opt.DB.QueryRow(ctx, `SELECT case_no FROM cases WHERE waybill = $1 AND destination = $2`, scan, n.opt.Code).Scan(&caseNo)
		if errors.Is(err, pgx.ErrNoRows) {
			return caseHead{}, ErrNotFound
		}
		if err != nil {
			return caseHead{}, err
		}
		ref = caseNo
	}
	step := Step{Actor: who}
	return n.localMoveWith(ctx, ref, TypeReceived, step, func(tx pgx.Tx, c caseHead) (any, error) {
		var manifest []ManifestLine
		if err := tx.QueryRow(ctx, `SELECT coalesce(manifest, '[]') FROM cases WHERE id = $1`, c.ID).Scan(&manifest); err != nil {
			return nil, err
		}
		step.Mismatches = checkManifest(manifest, req)
		if len(step.Mismatches) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE cases SET exception = $2 WHERE id = $1`, c.ID, exceptionOf(step)); err != nil {
				return nil, err
			}
		}
		return step, nil
	})
}

// checkManifest compares what was found with the manifest.
func checkManifest(manifest []ManifestLine, req ReceiveRequest) []Mismatch {
	var out []Mismatch
	if req.SealIntact != nil && !*req.SealIntact {
		out = append(out, Mismatch{ID: "seal", Name: "封签", Expected: "完好 intact", Found: "破损 broken"})
	}
	if req.Items == nil {
		return out
	}
	found := map[string]Item{}
	for _, it := range req.Items {
		found[it.ID] = it
	}
	for _, l := range manifest {
		f := found[l.ID]
		if f.Originals != l.Originals || f.Copies != l.Copies {
			out = append(out, Mismatch{ID: l.ID, Name: l.Name, Expected: fmt.Sprintf("%d/%d", l.Originals, l.Copies),
				Found: fmt.Sprintf("%d/%d", f.Originals, f.Copies)})
		}
		delete(found, l.ID)
	}
	for id, f := range found {
		out = append(out, Mismatch{ID: id, Name: f.Name, Expected: "0/0", Found: fmt.Sprintf("%d/%d", f.Originals, f.Copies)})
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (n *Node) postReceive(w http.ResponseWriter, r *http.Request) error {
	var req ReceiveRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	c, err := n.Receive(r.Context(), actor(r), req)
	if err != nil {
		return err
	}
	full, err := n.loadCase(r.Context(), c.ID.String())
	if err != nil {
		return err
	}
	full.mask()
	return writeJSON(w, http.StatusOK, full)
}
