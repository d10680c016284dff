package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/internal/auth"
)

// timelineEntry is one line of a case's single timeline: a state change or other
// event of the case, a courier event, or a link of a parcel's chain of custody.
type timelineEntry struct {
	At     time.Time
	Source string // case, courier, custody
	Label  string // dictionary key or raw text
	Key    bool   // Label is a dictionary key
	Who    string
	Hall   string
	Detail string
}

type parcelInfo struct {
	courier.Parcel
	Custody  []courier.StoredLink
	Verified courier.Verification
}

type caseView struct {
	Case        *Case
	Unmasked    bool
	Events      []Event
	Timeline    []timelineEntry
	Clock       *CaseClock
	Attachments []AttachmentData
	Parcels     []parcelInfo
	Mine        bool // this hall may act on the case now
	Origin      bool // this hall took it in
	Role        auth.Role
	Moves       []string // move paths open to this role now
	Notices     []string // decision notices the case has (acceptance, correction, refusal, conclusion)
}

func (c *console) cases(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	dir := r.URL.Query().Get("direction")
	if dir != "incoming" && dir != "outgoing" {
		dir = ""
	}
	var states []State
	if s := State(r.URL.Query().Get("state")); s.Known() {
		states = []State{s}
	}
	list, err := c.n.caseList(r.Context(), dir, states, strings.ToUpper(q), 200)
	if err != nil {
		return err
	}
	if len(list) == 0 && q != "" {
		// A matter name is searched as typed, not upper-cased.
		if list, err = c.n.caseList(r.Context(), dir, states, q, 200); err != nil {
			return err
		}
	}
	return c.render(w, r, http.StatusOK, "cases", "cases.title", map[string]any{"Q": q, "Direction": dir,
		"State": r.URL.Query().Get("state"), "Cases": list, "States": stateOrder})
}

var stateOrder = []State{Accepted, Dispatched, InTransit, Delivered, Received, UnderReview, CorrectionRequested, Paused,
	Rejected, Concluded, ResultDispatched, ResultDelivered, Closed, Withdrawn}

func (c *console) casePage(w http.ResponseWriter, r *http.Request) error {
	v, err := c.caseData(r.Context(), r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Case.mask()
	return c.render(w, r, http.StatusOK, "case", "case.title", v)
}

// postApplicant shows the applicant unmasked to window and hall staff, recording in
// the audit log who looked, exactly as the API's /applicant does. The page is the
// answer to the post, not a redirect, so the full record is never kept in a cookie
// or a URL.
func (c *console) postApplicant(w http.ResponseWriter, r *http.Request) error {
	v, err := c.caseData(r.Context(), r, r.PathValue("id"))
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(r.Context(), c.n.opt.DB, func(tx pgx.Tx) error {
		a, err := c.n.caseApplicant(r.Context(), tx, v.Case.ID)
		if err != nil {
			return err
		}
		v.Case.Applicant = a
		return c.n.audit(r.Context(), tx, r, "view_unmasked", v.Case.CaseNo, "ok", map[string]any{"case_id": v.Case.ID, "via": "console"})
	})
	if err != nil {
		return err
	}
	v.Unmasked = true
	return c.render(w, r, http.StatusOK, "case", "case.title", v)
}

// caseData gathers everything the case page shows.
func (c *console) caseData(ctx context.Context, r *http.Request, ref string) (*caseView, error) {
	n := c.n
	cs, err := n.loadCase(ctx, ref)
	if err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(r.Context())
	v := &caseView{Case: cs, Origin: cs.Origin == n.opt.Code, Role: p.Role}
	if v.Events, err = n.Events(ctx, cs.ID.String()); err != nil {
		return nil, err
	}
	if d := n.Deadlines(); d != nil {
		clock, err := d.CaseClock(ctx, cs.ID.String())
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		v.Clock = clock
	}
	if v.Attachments, err = n.attachments(ctx, cs.ID, false); err != nil {
		return nil, err
	}
	made := map[string]bool{}
	for _, e := range v.Events {
		v.Timeline = append(v.Timeline, eventEntry(e))
		made[e.Action] = true
	}
	for _, kind := range []string{"acceptance", "correction", "refusal", "conclusion"} {
		if made[decisionNotices[kind].move] {
			v.Notices = append(v.Notices, kind)
		}
	}
	if pc := n.Parcels(); pc != nil && pc.Enabled() {
		parcels, err := courier.ParcelsOfCase(ctx, n.opt.DB, cs.ID)
		if err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, 0, len(parcels))
		for _, p := range parcels {
			links, ver, err := courier.VerifyCustody(ctx, n.opt.DB, p.ID)
			if err != nil && !errors.Is(err, courier.ErrNoParcel) {
				return nil, err
			}
			v.Parcels = append(v.Parcels, parcelInfo{Parcel: p, Custody: links, Verified: ver})
			for _, l := range links {
				v.Timeline = append(v.Timeline, timelineEntry{At: l.At, Source: "custody", Label: l.Kind, Who: l.Actor, Hall: l.Hall,
					Detail: p.Waybill})
			}
			ids = append(ids, p.ID)
		}
		evs, err := courier.EventsOf(ctx, n.opt.DB, ids)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			v.Timeline = append(v.Timeline, timelineEntry{At: e.At, Source: "courier", Label: "courier." + string(e.Status), Key: true,
				Who: e.Carrier, Detail: strings.TrimSpace(e.Location + " " + e.RawText)})
		}
	}
	slices.SortStableFunc(v.Timeline, func(a, b timelineEntry) int { return a.At.Compare(b.At) })
	v.Moves = c.openMoves(cs, p.Role)
	v.Mine = len(v.Moves) > 0
	return v, nil
}

// eventEntry is a case event as a timeline line.
func eventEntry(e Event) timelineEntry {
	t := timelineEntry{At: e.At, Source: "case", Who: e.Actor, Hall: e.Hall, Label: "event." + e.Action, Key: true}
	var d map[string]any
	if json.Unmarshal(e.Detail, &d) == nil {
		var parts []string
		for _, k := range []string{"seal_no", "waybill", "note", "kind", "method", "signed_by", "matter_code"} {
			if s, ok := d[k].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		for _, k := range []string{"reasons"} {
			if rs, ok := d[k].([]any); ok {
				for _, x := range rs {
					if s, ok := x.(string); ok {
						parts = append(parts, s)
					}
				}
			}
		}
		if res, ok := d["result"].(map[string]any); ok {
			for _, k := range []string{"document_name", "document_no", "reason"} {
				if s, ok := res[k].(string); ok && s != "" {
					parts = append(parts, s)
				}
			}
		}
		if items, ok := d["items"].([]any); ok {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					if s, ok := m["name"].(string); ok {
						parts = append(parts, s)
					}
				}
			}
		}
		if ms, ok := d["mismatches"].([]any); ok && len(ms) > 0 {
			parts = append(parts, "⚠")
		}
		t.Detail = strings.Join(parts, " · ")
	}
	return t
}

// openMoves lists the moves role may make on the case at this hall now: the state
// allows it, this hall's side may make it, and the role is the one the API requires.
func (c *console) openMoves(cs *Case, role auth.Role) []string {
	side := OriginSide
	if cs.Destination == c.n.opt.Code {
		side = DestinationSide
	}
	var out []string
	for _, path := range movePaths {
		move := stepRoutes[path]
		m := Moves[move]
		if !m.allows(cs.State) || side&m.By == 0 || !slices.Contains(stepAccess[move], role) {
			continue
		}
		if move == TypeWithdrawn && side != owner(cs.State) {
			continue
		}
		out = append(out, path)
	}
	return out
}

// movePaths orders the moves as a clerk reads them.
var movePaths = []string{"accept", "request-correction", "supplement", "reject", "pause", "resume", "conclude",
	"dispatch-result", "deliver-result", "close", "withdraw"}
