package handoff

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/handoff/ident"
	"github.com/tongban/tongban/internal/web"
)

// searchMatters finds matters by name, code or department, as the API's list does.
func (n *Node) searchMatters(ctx context.Context, q string) ([]catalog.Matter, error) {
	rows, err := n.opt.DB.Query(ctx, `SELECT `+matterCols+` FROM matters
		WHERE $1 = '' OR name ILIKE '%' || $1 || '%' OR code = $1 OR department ILIKE '%' || $1 || '%' ORDER BY name LIMIT 50`, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Matter
	for rows.Next() {
		m, err := scanMatter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// caseList reads the hall's cases, newest first, masked: direction outgoing or
// incoming, in any of states (none: every state), at most limit.
func (n *Node) caseList(ctx context.Context, dir string, states []State, q string, limit int) ([]*Case, error) {
	ss := make([]string, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	rows, err := n.opt.DB.Query(ctx, `SELECT `+caseCols+` FROM cases
		WHERE ($1 = '' OR ($1 = 'outgoing' AND origin = $4) OR ($1 = 'incoming' AND destination = $4))
		  AND (cardinality($2::text[]) = 0 OR state = ANY($2)) AND (origin = $4 OR destination = $4)
		  AND ($5 = '' OR case_no = $5 OR waybill = $5 OR seal_no = $5 OR matter_name ILIKE '%' || $5 || '%')`+
		openOnly(states)+` ORDER BY intake_at DESC, id DESC LIMIT $3`, dir, ss, limit, n.opt.Code, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Case{}
	for rows.Next() {
		c, err := n.scanCase(rows)
		if err != nil {
			return nil, err
		}
		c.mask()
		out = append(out, c)
	}
	return out, rows.Err()
}

var windowOpen = []State{Accepted, Dispatched, InTransit, Delivered, Received, UnderReview, CorrectionRequested, Paused,
	Concluded, ResultDispatched, ResultDelivered, Rejected}

type windowView struct {
	Q       string
	Matters []catalog.Matter
	Cases   []*Case
}

// window is the clerk's desk: matter search and the window's open cases.
func (c *console) window(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	ms, err := c.n.searchMatters(r.Context(), q)
	if err != nil {
		return err
	}
	// Only matters another city decides are taken in at the cross-city window.
	var cross []catalog.Matter
	for _, m := range ms {
		if m.DecidingCity != c.n.opt.Code {
			cross = append(cross, m)
		}
	}
	cases, err := c.n.caseList(r.Context(), "outgoing", windowOpen, "", 50)
	if err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "window", "window.title", windowView{Q: q, Matters: cross, Cases: cases})
}

// intakeView is the intake form, refilled after a refused submission.
type intakeView struct {
	Matter    catalog.Matter
	Lines     []intakeLine
	Applicant Applicant
	Commit    string
	Refuse    bool
	Reasons   string
	Error     *web.Msg
	Field     string
}

type intakeLine struct {
	catalog.Material
	GotOrig, GotCopies int
	Waived             bool
}

func (c *console) intakeForm(w http.ResponseWriter, r *http.Request) error {
	m, err := c.n.Matter(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	v := intakeView{Matter: m, Applicant: Applicant{Type: "person", IDType: ident.TypeResidentID}}
	for _, mat := range m.Materials {
		v.Lines = append(v.Lines, intakeLine{Material: mat})
	}
	return c.render(w, r, http.StatusOK, "intake", "intake.title", v)
}

// postIntake takes the form to Intake. A case goes to its page with the receipt to
// print; a notice to the notice page; bad input comes back to the form, filled in.
func (c *console) postIntake(w http.ResponseWriter, r *http.Request) error {
	m, err := c.n.Matter(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fieldErr("body", "无法读取表单", "cannot read the form")
	}
	f := r.PostForm
	v := intakeView{Matter: m, Commit: f.Get("commitment_date"), Refuse: f.Get("refuse") == "1", Reasons: f.Get("reasons"),
		Applicant: Applicant{Type: f.Get("applicant_type"), Name: f.Get("name"), IDType: f.Get("id_type"), IDNumber: f.Get("id_number"),
			Phone: f.Get("phone"), Address: f.Get("address"), Postcode: f.Get("postcode"), Contact: f.Get("contact")}}
	req := IntakeRequest{MatterCode: m.Code, Applicant: v.Applicant, CommitmentDate: v.Commit, Refuse: v.Refuse, Reasons: lines(v.Reasons)}
	waived := map[string]bool{}
	for _, id := range f["waived"] {
		waived[id] = true
		req.Waived = append(req.Waived, id)
	}
	for _, mat := range m.Materials {
		l := intakeLine{Material: mat, Waived: waived[mat.ID]}
		l.GotOrig, _ = strconv.Atoi(f.Get("orig_" + mat.ID))
		l.GotCopies, _ = strconv.Atoi(f.Get("copy_" + mat.ID))
		if f.Get("got_"+mat.ID) != "" && l.GotOrig == 0 && l.GotCopies == 0 {
			// Ticking an item without counts means the checklist's counts were handed in.
			l.GotOrig, l.GotCopies = mat.Originals, mat.Copies
		}
		v.Lines = append(v.Lines, l)
		req.Materials = append(req.Materials, ItemCount{ID: mat.ID, Originals: l.GotOrig, Copies: l.GotCopies})
	}
	res, err := c.n.Intake(r.Context(), actor(r), req)
	if err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			return err
		}
		msg := c.site.ProblemMsg(err)
		v.Error, v.Field = &msg, fe.Field
		return c.render(w, r, http.StatusUnprocessableEntity, "intake", "intake.title", v)
	}
	switch {
	case res.Case != nil:
		return c.back(w, r, "/console/cases/"+res.Case.ID.String(), c.site.Msg("ok", "intake.accepted", res.Case.CaseNo))
	case res.Notice != nil && res.Outcome == OutcomeRefused:
		return c.back(w, r, "/console/window/notices/"+res.Notice.ID.String(), c.site.Msg("warn", "intake.refused", res.Notice.NoticeNo))
	default:
		return c.back(w, r, "/console/window/notices/"+res.Notice.ID.String(), c.site.Msg("warn", "intake.notice", res.Notice.NoticeNo))
	}
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (c *console) noticePage(w http.ResponseWriter, r *http.Request) error {
	nt, err := c.n.loadNotice(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	nt.Applicant = nt.Applicant.masked()
	return c.render(w, r, http.StatusOK, "notice", "notice.title", nt)
}

// postPackage seals the paper: the seal number scanned into the box, the manifest
// from what was received at intake.
func (c *console) postPackage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	seal := strings.TrimSpace(r.PostFormValue("seal_no"))
	to := "/console/cases/" + id
	if seal == "" || len(seal) > 40 {
		return c.back(w, r, to, c.site.Msg("error", "package.seal_missing"))
	}
	err := c.n.Package(r.Context(), id, actor(r), PackageRequest{SealNo: seal})
	if err != nil {
		return c.refused(w, r, to, err)
	}
	return c.back(w, r, to, c.site.Msg("ok", "package.done", seal))
}

func (c *console) postDispatch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	to := "/console/cases/" + id
	waybill := strings.ToUpper(strings.TrimSpace(r.PostFormValue("waybill")))
	if len(waybill) > 40 {
		return c.back(w, r, to, c.site.Msg("error", "dispatch.waybill_long"))
	}
	h, err := c.n.Dispatch(r.Context(), id, actor(r), waybill)
	if err != nil {
		return c.refused(w, r, to, err)
	}
	return c.back(w, r, to, c.site.Msg("ok", "dispatch.done", h.CaseNo))
}

// postAttachment takes a scan of a material from the case page's upload form.
func (c *console) postAttachment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	to := "/console/cases/" + id
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return c.back(w, r, to, c.site.Msg("error", "attach.missing"))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, c.n.opt.MaxAttachment+1))
	if err != nil {
		return c.refused(w, r, to, err)
	}
	a, err := c.n.Attach(r.Context(), id, actor(r), filepath.Base(hdr.Filename), r.PostFormValue("material_id"),
		hdr.Header.Get("Content-Type"), data)
	if err != nil {
		return c.refused(w, r, to, err)
	}
	return c.back(w, r, to, c.site.Msg("ok", "attach.done", a.Name))
}

// refused turns a refusal the clerk can act on (bad field, wrong state, not this
// hall's move) into a message on the page they came from; anything else is an error page.
func (c *console) refused(w http.ResponseWriter, r *http.Request, to string, err error) error {
	p := problemFor(err)
	if p.Status >= 500 || p.Status == http.StatusNotFound {
		return err
	}
	return c.back(w, r, to, web.Msg{Kind: "error", ZH: p.DetailZH, EN: p.Detail})
}
