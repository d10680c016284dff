package handoff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Timer kinds, one per stage of a case's life. The transfer stages run at the origin,
// the rest at the deciding hall.
const (
	TimerDispatch       = "dispatch"        // package and dispatch after intake
	TimerPickup         = "pickup"          // courier picks the parcel up
	TimerDelivery       = "delivery"        // courier delivers it to the partner hall
	TimerSignFor        = "sign_for"        // partner hall signs for the delivered parcel
	TimerIntakeDecision = "intake_decision" // accept, request 补正 or refuse (Art. 32)
	TimerPromised       = "promised"        // promised limit from acceptance (承诺时限)
	TimerLegal          = "legal"           // legal limit from acceptance (法定时限)
	TimerResultDispatch = "result_dispatch" // issue and send the result (Art. 44)
	TimerResultDelivery = "result_delivery" // the result reaches the applicant
)

// TimerKinds lists the kinds in the order of a case's life.
var TimerKinds = []string{TimerDispatch, TimerPickup, TimerDelivery, TimerSignFor, TimerIntakeDecision,
	TimerPromised, TimerLegal, TimerResultDispatch, TimerResultDelivery}

// timerOwner is the side that holds the case during a stage and so fires its alerts.
func timerOwner(kind string) Side {
	switch kind {
	case TimerDispatch, TimerPickup, TimerDelivery:
		return OriginSide
	}
	return DestinationSide
}

// Units of a limit.
const (
	UnitWorking = "working"
	UnitNatural = "natural"
)

// Policy is how one stage is timed, for one matter or (MatterCode "") for every matter.
// LimitDays nil and Unit "" take the case's own limit and unit, which is how the
// promised and legal limits follow the catalogue.
type Policy struct {
	MatterCode string `json:"matter_code"`
	Kind       string `json:"kind"`
	LimitDays  *int   `json:"limit_days"`
	Unit       string `json:"unit,omitempty"`
	// YellowPct and RedPct are the shares of the limit used at which the light turns
	// yellow and red.
	YellowPct int `json:"yellow_pct"`
	RedPct    int `json:"red_pct"`
	// The ladder: the handler is told at overdue, the section head this many seconds
	// later, the responsible leader after LeaderAfter, if the stage is still open.
	SectionHeadAfter int       `json:"section_head_after_s"`
	LeaderAfter      int       `json:"leader_after_s"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
	UpdatedBy        string    `json:"updated_by,omitempty"`
	Default          bool      `json:"default,omitempty"` // from the code, not the table
}

func days(n int) *int { return &n }

const (
	hour = 3600
	day1 = 24 * hour
)

// defaultPolicies are the figures of last resort. The law fixes Art. 32 (5 working days
// to decide on intake) and Art. 44 (10 working days to issue the result); the transfer
// limits follow the 1-working-day handover rule halls apply to cross-city cases.
var defaultPolicies = map[string]Policy{
	TimerDispatch:       {Kind: TimerDispatch, LimitDays: days(1), Unit: UnitWorking},
	TimerPickup:         {Kind: TimerPickup, LimitDays: days(1), Unit: UnitWorking},
	TimerDelivery:       {Kind: TimerDelivery, LimitDays: days(3), Unit: UnitNatural},
	TimerSignFor:        {Kind: TimerSignFor, LimitDays: days(1), Unit: UnitWorking},
	TimerIntakeDecision: {Kind: TimerIntakeDecision, LimitDays: days(5), Unit: UnitWorking},
	TimerPromised:       {Kind: TimerPromised},
	TimerLegal:          {Kind: TimerLegal},
	TimerResultDispatch: {Kind: TimerResultDispatch, LimitDays: days(10), Unit: UnitWorking},
	TimerResultDelivery: {Kind: TimerResultDelivery, LimitDays: days(3), Unit: UnitNatural},
}

func defaultPolicy(kind string) Policy {
	p := defaultPolicies[kind]
	p.YellowPct, p.RedPct = 50, 80
	p.SectionHeadAfter, p.LeaderAfter = day1, 3*day1
	p.Default = true
	return p
}

func (p *Policy) validate() error {
	switch {
	case !slices.Contains(TimerKinds, p.Kind):
		return fieldErr("kind", "没有该计时环节", fmt.Sprintf("unknown kind; one of %v", TimerKinds))
	case p.LimitDays != nil && (*p.LimitDays < 1 || *p.LimitDays > 3650):
		return fieldErr("limit_days", "时限须为 1 至 3650 天", "must be 1..3650, or null for the case's own limit")
	case p.Unit != "" && p.Unit != UnitWorking && p.Unit != UnitNatural:
		return fieldErr("unit", "单位须为 working（工作日）或 natural（自然日）", "must be working or natural")
	case (p.LimitDays == nil) != (p.Unit == "") && p.Kind != TimerPromised && p.Kind != TimerLegal:
		return fieldErr("limit_days", "该环节须同时设定时限和单位", "this stage needs both limit_days and unit")
	case p.YellowPct < 1 || p.YellowPct > 99:
		return fieldErr("yellow_pct", "黄灯比例须为 1 至 99", "must be 1..99")
	case p.RedPct < p.YellowPct || p.RedPct > 99:
		return fieldErr("red_pct", "红灯比例须不小于黄灯比例且不超过 99", "must be at least yellow_pct and at most 99")
	case p.SectionHeadAfter < 0 || p.LeaderAfter < p.SectionHeadAfter:
		return fieldErr("leader_after_s", "升级延时须非负且领导不早于科长", "delays must be >= 0 and leader_after_s >= section_head_after_s")
	}
	return nil
}

const policyCols = `matter_code, kind, limit_days, coalesce(unit, ''), yellow_pct, red_pct, section_head_after_s, leader_after_s, updated_at, updated_by`

func scanPolicy(row pgx.Row) (Policy, error) {
	var p Policy
	err := row.Scan(&p.MatterCode, &p.Kind, &p.LimitDays, &p.Unit, &p.YellowPct, &p.RedPct, &p.SectionHeadAfter,
		&p.LeaderAfter, &p.UpdatedAt, &p.UpdatedBy)
	return p, err
}

// policyFor finds the policy of a stage for a matter: the matter's own row, else the
// hall's default row, else the code's default.
func policyFor(ctx context.Context, q pgx.Tx, kind, matter string) (Policy, error) {
	p, err := scanPolicy(q.QueryRow(ctx, `SELECT `+policyCols+` FROM deadline_policies
		WHERE kind = $1 AND matter_code IN ('', $2) ORDER BY matter_code DESC LIMIT 1`, kind, matter))
	if errors.Is(err, pgx.ErrNoRows) {
		return defaultPolicy(kind), nil
	}
	return p, err
}

// listPolicies answers the table's rows and the code's defaults for kinds the table
// does not override for every matter.
func (d *Deadlines) listPolicies(w http.ResponseWriter, r *http.Request) error {
	rows, err := d.n.opt.DB.Query(r.Context(), `SELECT `+policyCols+` FROM deadline_policies ORDER BY kind, matter_code`)
	if err != nil {
		return deadlineErr("list policies", err)
	}
	stored, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Policy, error) { return scanPolicy(row) })
	if err != nil {
		return deadlineErr("list policies", err)
	}
	var out []Policy
	for _, kind := range TimerKinds {
		if !slices.ContainsFunc(stored, func(p Policy) bool { return p.Kind == kind && p.MatterCode == "" }) {
			out = append(out, defaultPolicy(kind))
		}
		for _, p := range stored {
			if p.Kind == kind {
				out = append(out, p)
			}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"policies": out})
}

// putPolicy sets a stage's policy for one matter or for all. Running timers keep the
// figures they started with; the new policy applies to stages that start afterwards.
func (d *Deadlines) putPolicy(w http.ResponseWriter, r *http.Request) error {
	var p Policy
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	p.Kind = r.PathValue("kind")
	if err := p.validate(); err != nil {
		return err
	}
	p.UpdatedAt, p.UpdatedBy, p.Default = d.now(), actor(r), false
	var unit *string
	if p.Unit != "" {
		unit = &p.Unit
	}
	_, err := d.n.opt.DB.Exec(r.Context(), `INSERT INTO deadline_policies (matter_code, kind, limit_days, unit, yellow_pct,
		red_pct, section_head_after_s, leader_after_s, updated_at, updated_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
		ON CONFLICT (matter_code, kind) DO UPDATE SET limit_days = $3, unit = $4, yellow_pct = $5, red_pct = $6,
		section_head_after_s = $7, leader_after_s = $8, updated_at = $9, updated_by = $10`,
		p.MatterCode, p.Kind, p.LimitDays, unit, p.YellowPct, p.RedPct, p.SectionHeadAfter, p.LeaderAfter, p.UpdatedAt, p.UpdatedBy)
	if err != nil {
		return deadlineErr("put policy", err)
	}
	return writeJSON(w, http.StatusOK, p)
}

// deletePolicy removes an override; the stage falls back to the hall's or the code's default.
func (d *Deadlines) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	tag, err := d.n.opt.DB.Exec(r.Context(), `DELETE FROM deadline_policies WHERE kind = $1 AND matter_code = $2`,
		r.PathValue("kind"), r.URL.Query().Get("matter_code"))
	if err != nil {
		return deadlineErr("delete policy", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
