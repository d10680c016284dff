package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/handoff/ident"
)

// Case is a case as the API shows it.
type Case struct {
	ID             uuid.UUID       `json:"id"`
	CaseNo         string          `json:"case_no"`
	Origin         string          `json:"origin"`
	Destination    string          `json:"destination"`
	Direction      string          `json:"direction"` // outgoing (we took it in) or incoming (we decide it)
	MatterCode     string          `json:"matter_code"`
	MatterName     string          `json:"matter_name"`
	Department     string          `json:"department"`
	CaseType       int             `json:"case_type"`
	LegalLimit     int             `json:"legal_limit"`
	PromisedLimit  int             `json:"promised_limit"`
	LimitUnit      string          `json:"limit_unit"`
	Applicant      Applicant       `json:"applicant"`
	Materials      []MaterialLine  `json:"materials"`
	Missing        []string        `json:"missing"`
	CommitmentDate *string         `json:"commitment_date,omitempty"`
	State          State           `json:"state"`
	StateZH        string          `json:"state_zh"`
	SealNo         *string         `json:"seal_no,omitempty"`
	Waybill        *string         `json:"waybill,omitempty"`
	Manifest       []ManifestLine  `json:"manifest,omitempty"`
	Exception      json.RawMessage `json:"exception,omitempty"`
	Result         *Result         `json:"result,omitempty"`
	Clerk          string          `json:"clerk"`
	IntakeAt       time.Time       `json:"intake_at"`
	StateChangedAt time.Time       `json:"state_changed_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

const caseCols = `id, case_no, origin, destination, matter_code, matter_name, department, case_type, legal_limit,
	promised_limit, limit_unit, applicant, materials, missing, to_char(commitment_date, 'YYYY-MM-DD'), state, seal_no, waybill,
	manifest, exception, result, clerk, intake_at, state_changed_at, updated_at`

func (n *Node) scanCase(row pgx.Row) (*Case, error) {
	var c Case
	var app, mats, miss, manifest, result []byte
	var st string
	err := row.Scan(&c.ID, &c.CaseNo, &c.Origin, &c.Destination, &c.MatterCode, &c.MatterName, &c.Department, &c.CaseType,
		&c.LegalLimit, &c.PromisedLimit, &c.LimitUnit, &app, &mats, &miss, &c.CommitmentDate, &st, &c.SealNo, &c.Waybill,
		&manifest, &c.Exception, &result, &c.Clerk, &c.IntakeAt, &c.StateChangedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.State, c.StateZH = State(st), stateZH[State(st)]
	c.Direction = "incoming"
	if c.Origin == n.opt.Code {
		c.Direction = "outgoing"
	}
	_ = json.Unmarshal(app, &c.Applicant)
	_ = json.Unmarshal(mats, &c.Materials)
	_ = json.Unmarshal(miss, &c.Missing)
	if manifest != nil {
		_ = json.Unmarshal(manifest, &c.Manifest)
	}
	if result != nil {
		c.Result = &Result{}
		_ = json.Unmarshal(result, c.Result)
	}
	return &c, nil
}

// loadCase reads a case by id or case number.
func (n *Node) loadCase(ctx context.Context, ref string) (*Case, error) {
	if id, err := uuid.Parse(ref); err == nil {
		return n.scanCase(n.opt.DB.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`, id))
	}
	return n.scanCase(n.opt.DB.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE case_no = $1`, ref))
}

// masked returns the applicant as screens show it: enough to recognise, not to use.
func (a Applicant) masked() Applicant {
	a.Name = ident.MaskName(a.Name)
	a.IDNumber = ident.MaskID(a.IDNumber)
	a.Phone = ident.MaskPhone(a.Phone)
	a.Address = ident.MaskAddress(a.Address)
	if a.Contact != "" {
		a.Contact = ident.MaskName(a.Contact)
	}
	return a
}

func (c *Case) mask() { c.Applicant = c.Applicant.masked() }

func (n *Node) getCase(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c.mask()
	return writeJSON(w, http.StatusOK, c)
}

// listCases lists the hall's cases, newest first: direction outgoing (taken in here)
// or incoming (decided here), optionally in one state.
func (n *Node) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	dir := q.Get("direction")
	if dir != "" && dir != "incoming" && dir != "outgoing" {
		return fieldErr("direction", "方向须为 incoming 或 outgoing", "must be incoming or outgoing")
	}
	state := q.Get("state")
	if state != "" && !State(state).Known() {
		return fieldErr("state", "未知的办件状态", "unknown state")
	}
	// Exact search by ID number goes through its keyed hash; the number itself is
	// never compared, stored or logged in clear.
	idHash := ""
	if num := q.Get("id_number"); num != "" {
		idType := q.Get("id_type")
		if idType == "" {
			idType = ident.TypeResidentID
		}
		idHash = n.opt.Search.Hash("id:"+idType, ident.NormalizeIDNumber(idType, num))
	}
	rows, err := n.opt.DB.Query(r.Context(), `SELECT `+caseCols+` FROM cases
		WHERE ($1 = '' OR ($1 = 'outgoing' AND origin = $4) OR ($1 = 'incoming' AND destination = $4))
		  AND ($2 = '' OR state = $2) AND ($5 = '' OR id_hash = $5) AND (origin = $4 OR destination = $4)`+
		openOnly([]State{State(state)})+` ORDER BY intake_at DESC, id DESC LIMIT $3`, dir, state, limit, n.opt.Code, idHash)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := []*Case{}
	for rows.Next() {
		c, err := n.scanCase(rows)
		if err != nil {
			return err
		}
		c.mask()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"cases": out})
}

// Event is one entry of a case's timeline.
type Event struct {
	At        time.Time       `json:"at"`
	Hall      string          `json:"hall"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	FromState *string         `json:"from_state,omitempty"`
	ToState   *string         `json:"to_state,omitempty"`
	MessageID *uuid.UUID      `json:"message_id,omitempty"`
	Detail    json.RawMessage `json:"detail"`
}

// Events returns a case's timeline in order.
func (n *Node) Events(ctx context.Context, ref string) ([]Event, error) {
	c, err := n.loadCase(ctx, ref)
	if err != nil {
		return nil, err
	}
	rows, err := n.opt.DB.Query(ctx, `SELECT at, hall, actor, action, from_state, to_state, message_id, detail
		FROM case_events WHERE case_id = $1 ORDER BY id`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Hall, &e.Actor, &e.Action, &e.FromState, &e.ToState, &e.MessageID, &e.Detail); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (n *Node) getEvents(w http.ResponseWriter, r *http.Request) error {
	evs, err := n.Events(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (n *Node) getNotice(w http.ResponseWriter, r *http.Request) error {
	nt, err := n.loadNotice(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	nt.Applicant = nt.Applicant.masked()
	return writeJSON(w, http.StatusOK, nt)
}

func (n *Node) loadNotice(ctx context.Context, ref string) (*Notice, error) {
	var nt Notice
	var app, items, reasons []byte
	id, perr := uuid.Parse(ref)
	q := `SELECT n.id, n.notice_no, n.kind, n.matter_code, coalesce(m.name, ''), n.applicant, n.items, n.reasons, n.clerk, n.created_at
		FROM notices n LEFT JOIN matters m ON m.code = n.matter_code WHERE `
	var row pgx.Row
	if perr == nil {
		row = n.opt.DB.QueryRow(ctx, q+`n.id = $1`, id)
	} else {
		row = n.opt.DB.QueryRow(ctx, q+`n.notice_no = $1`, ref)
	}
	err := row.Scan(&nt.ID, &nt.NoticeNo, &nt.Kind, &nt.MatterCode, &nt.MatterName, &app, &items, &reasons, &nt.Clerk, &nt.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal(app, &nt.Applicant)
	_ = json.Unmarshal(items, &nt.Items)
	_ = json.Unmarshal(reasons, &nt.Reasons)
	return &nt, nil
}

func (n *Node) getHall(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"code": n.opt.Code, "name": n.opt.Name,
		"key_id": n.keys.KeyID, "public_key": n.keys.Public(), "partners": n.keys.Partners()})
}

func (n *Node) listQuarantine(w http.ResponseWriter, r *http.Request) error {
	qs, err := n.Quarantine(r.Context(), 200)
	if err != nil {
		return err
	}
	if qs == nil {
		qs = []QuarantinedMessage{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"messages": qs})
}

func (n *Node) postReplay(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return fieldErr("id", "编号须为数字", "must be a number")
	}
	res, err := n.Replay(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"result": res})
}
