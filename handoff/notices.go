package handoff

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5"
)

// decisionNotices are the written decisions a hall hands the applicant, each printed
// from the move that made it: 受理通知书, 补正材料通知书, 不予受理决定书 and the
// conclusion (准予 / 不予许可决定).
var decisionNotices = map[string]struct {
	move, title, suffix string
}{
	"acceptance": {TypeAccepted, "受理通知书", "SL"},
	"correction": {TypeCorrectionRequested, "补正材料通知书", "BZ"},
	"refusal":    {TypeRejected, "不予受理决定书", "BSL"},
	"conclusion": {TypeConcluded, "办结通知书", "BJ"},
}

// printDecision renders one of the decision notices of a case. The content is the
// step the deciding hall recorded, so both halls print the same notice.
func (n *Node) printDecision(w http.ResponseWriter, r *http.Request) error {
	kind := decisionNotices[r.PathValue("kind")]
	if kind.move == "" {
		return ErrNotFound
	}
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	var detail []byte
	var at = c.UpdatedAt
	err = n.opt.DB.QueryRow(r.Context(), `SELECT detail, at FROM case_events WHERE case_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1`,
		c.ID, kind.move).Scan(&detail, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	var step Step
	_ = json.Unmarshal(detail, &step)
	c.mask()
	return renderPrint(w, "decision", map[string]any{"Kind": r.PathValue("kind"), "Title": kind.title, "Case": c, "Step": step,
		"NoticeNo": c.CaseNo + "-" + kind.suffix, "CSS": printCSS, "IntakeAt": shanghaiTime(c.IntakeAt), "At": shanghaiTime(at)})
}

// printLabel renders the label for the case parcel: waybill, both halls, case and
// seal number, so the partner hall can sign for it by scanning either number.
func (n *Node) printLabel(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if c.Waybill == nil || c.SealNo == nil {
		return fieldErr("waybill", "尚无运单号或封签号，寄出后再打印标签", "no waybill or seal yet; print the label after dispatch")
	}
	return renderPrint(w, "label", map[string]any{"Case": c, "Hall": n.hallLabel()})
}
