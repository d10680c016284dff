package handoff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/handoff/ident"
)

// IntakeRequest is what the window clerk submits: the applicant, the matter and each
// checklist item as counted at the window.
type IntakeRequest struct {
	MatterCode     string      `json:"matter_code"`
	Applicant      Applicant   `json:"applicant"`
	Materials      []ItemCount `json:"materials"`
	Waived         []string    `json:"waived,omitempty"`          // 容缺: items missing under written commitment
	CommitmentDate string      `json:"commitment_date,omitempty"` // when the waived items will be handed in
	Refuse         bool        `json:"refuse,omitempty"`          // not eligible: refuse with reasons
	Reasons        []string    `json:"reasons,omitempty"`
}

// ItemCount is one checklist item as received.
type ItemCount struct {
	ID        string `json:"id"`
	Originals int    `json:"originals"`
	Copies    int    `json:"copies"`
}

// Intake outcomes.
const (
	OutcomeAccepted = "accepted"
	OutcomeNotice   = "one_time_notice"
	OutcomeRefused  = "refused"
)

// IntakeResult is the window's answer: a case, or a recorded notice.
type IntakeResult struct {
	Outcome string  `json:"outcome"`
	Case    *Case   `json:"case,omitempty"`
	Notice  *Notice `json:"notice,omitempty"`
}

// Notice is a one-time notice of everything missing, or a refusal with reasons.
type Notice struct {
	ID         uuid.UUID    `json:"id"`
	NoticeNo   string       `json:"notice_no"`
	Kind       string       `json:"kind"`
	MatterCode string       `json:"matter_code"`
	MatterName string       `json:"matter_name,omitempty"`
	Applicant  Applicant    `json:"applicant"`
	Items      []MissingRow `json:"items"`
	Reasons    []string     `json:"reasons"`
	Clerk      string       `json:"clerk"`
	CreatedAt  time.Time    `json:"created_at"`
}

// MissingRow is an item the applicant still has to bring.
type MissingRow struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Originals int    `json:"originals"`
	Copies    int    `json:"copies"`
	Brought   string `json:"brought"`
}

var (
	mobileRe   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRe = regexp.MustCompile(`^0[0-9]{2,3}-?[0-9]{7,8}$`)
	postcodeRe = regexp.MustCompile(`^[0-9]{6}$`)
)

func (a *Applicant) validate() error {
	a.Name = strings.TrimSpace(a.Name)
	switch {
	case a.Type != "person" && a.Type != "organisation":
		return fieldErr("applicant.type", "申请人类型须为 person（自然人）或 organisation（法人或其他组织）", "must be person or organisation")
	case a.Name == "" || utf8.RuneCountInString(a.Name) > 100:
		return fieldErr("applicant.name", "请填写申请人名称（不超过 100 字）", "required, at most 100 characters")
	case a.Type == "organisation" && a.IDType != ident.TypeUSCC:
		return fieldErr("applicant.id_type", "组织须使用统一社会信用代码（001）", "an organisation is identified by its unified social credit code (001)")
	}
	a.IDNumber = ident.NormalizeIDNumber(a.IDType, a.IDNumber)
	if err := ident.ValidIDNumber(a.IDType, a.IDNumber); err != nil {
		zh, en := err.Error(), err.Error()
		if ie, ok := err.(*ident.IDError); ok {
			zh, en = ie.MessageZH(), ie.MessageEN()
		}
		return fieldErr("applicant.id_number", "证件号码无效："+zh, "invalid ID number: "+en)
	}
	a.Phone = strings.ReplaceAll(strings.TrimSpace(a.Phone), " ", "")
	if !mobileRe.MatchString(a.Phone) && !landlineRe.MatchString(a.Phone) {
		return fieldErr("applicant.phone", "联系电话须为 11 位手机号或带区号的固定电话", "must be an 11-digit mobile number or a landline with area code")
	}
	if a.Address = strings.TrimSpace(a.Address); a.Address == "" || utf8.RuneCountInString(a.Address) > 200 {
		return fieldErr("applicant.address", "请填写通讯地址（不超过 200 字）", "required, at most 200 characters")
	}
	if a.Postcode != "" && !postcodeRe.MatchString(a.Postcode) {
		return fieldErr("applicant.postcode", "邮政编码须为 6 位数字", "must be 6 digits")
	}
	return nil
}

// Intake checks an application against the matter's checklist at the origin window.
// Complete (or complete but for waivable items under a written commitment): a case
// with a case number. Otherwise a one-time notice listing everything missing, or a
// refusal; both are recorded, neither is a case.
func (n *Node) Intake(ctx context.Context, clerk string, req IntakeRequest) (IntakeResult, error) {
	if strings.TrimSpace(req.MatterCode) == "" {
		return IntakeResult{}, fieldErr("matter_code", "请选择事项", "required")
	}
	m, err := n.Matter(ctx, req.MatterCode)
	if err != nil {
		return IntakeResult{}, fieldErr("matter_code", "事项目录中没有该事项", "no such matter in this hall's catalogue")
	}
	if m.DecidingCity == n.opt.Code {
		return IntakeResult{}, fieldErr("matter_code", "该事项由本市办理，不属于跨城通办", "this matter is decided in this city, not a cross-city matter")
	}
	if err := req.Applicant.validate(); err != nil {
		return IntakeResult{}, err
	}
	if req.Refuse {
		if len(nonEmpty(req.Reasons)) == 0 {
			return IntakeResult{}, fieldErr("reasons", "不予收件须说明理由", "a refusal must give its reasons")
		}
		notice, err := n.recordNotice(ctx, "refusal", clerk, m, req.Applicant, nil, nonEmpty(req.Reasons))
		return IntakeResult{Outcome: OutcomeRefused, Notice: notice}, err
	}
	lines, missing, err := checkMaterials(m, req)
	if err != nil {
		return IntakeResult{}, err
	}
	if len(missing) > 0 {
		notice, err := n.recordNotice(ctx, "one_time_notice", clerk, m, req.Applicant, missing, nil)
		return IntakeResult{Outcome: OutcomeNotice, Notice: notice}, err
	}
	c, err := n.createCase(ctx, clerk, m, req, lines)
	return IntakeResult{Outcome: OutcomeAccepted, Case: c}, err
}

// checkMaterials compares the counts with the checklist. Waived items must be
// waivable and need a commitment date within 90 days.
func checkMaterials(m catalog.Matter, req IntakeRequest) ([]MaterialLine, []MissingRow, error) {
	got := map[string]ItemCount{}
	for i, it := range req.Materials {
		if _, ok := m.Material(it.ID); !ok {
			return nil, nil, fieldErr(fmt.Sprintf("materials[%d].id", i), "该事项的材料清单中没有此项", "not on this matter's checklist")
		}
		if it.Originals < 0 || it.Copies < 0 || it.Originals > 99 || it.Copies > 99 {
			return nil, nil, fieldErr(fmt.Sprintf("materials[%d]", i), "份数须在 0 到 99 之间", "counts must be between 0 and 99")
		}
		if _, dup := got[it.ID]; dup {
			return nil, nil, fieldErr(fmt.Sprintf("materials[%d].id", i), "材料重复填写", "listed twice")
		}
		got[it.ID] = it
	}
	waived := map[string]bool{}
	for i, id := range req.Waived {
		mat, ok := m.Material(id)
		if !ok || !mat.Waivable {
			return nil, nil, fieldErr(fmt.Sprintf("waived[%d]", i), "该材料不可容缺", "this item may not be missing under commitment")
		}
		waived[id] = true
	}
	if len(waived) > 0 {
		d, err := time.Parse("2006-01-02", req.CommitmentDate)
		if err != nil || d.Before(time.Now().AddDate(0, 0, -1)) || d.After(time.Now().AddDate(0, 0, 90)) {
			return nil, nil, fieldErr("commitment_date", "容缺受理须填写 90 天内的承诺补交日期（YYYY-MM-DD）", "容缺 needs a commitment date (YYYY-MM-DD) within 90 days")
		}
	}
	var lines []MaterialLine
	var missing []MissingRow
	for _, mat := range m.Materials {
		g := got[mat.ID]
		line := MaterialLine{ID: mat.ID, Name: mat.Name, Originals: mat.Originals, Copies: mat.Copies,
			Required: mat.Required, Waivable: mat.Waivable, GotOrig: g.Originals, GotCopies: g.Copies}
		short := g.Originals < mat.Originals || g.Copies < mat.Copies
		switch {
		case !mat.Required || !short:
		case waived[mat.ID]:
			line.Waived = true
		default:
			missing = append(missing, MissingRow{ID: mat.ID, Name: mat.Name, Originals: mat.Originals, Copies: mat.Copies,
				Brought: fmt.Sprintf("原件 %d 份，复印件 %d 份", g.Originals, g.Copies)})
		}
		lines = append(lines, line)
	}
	return lines, missing, nil
}

// nextSerial hands out the day's next number for scope in a transaction of its own.
// Inside the intake's transaction the day's one row would stay locked until that
// transaction committed, and every concurrent intake would queue behind it. Alone it
// still held the row until its commit reached the disk, so intakes went one per WAL
// flush; it therefore commits asynchronously and frees the row at once. That loses
// nothing that matters: a number is only used by a transaction that commits after it
// synchronously, and flushing that commit flushes the WAL before it, the number's
// update included. Only a number whose case never committed can be lost in a crash and
// handed out again, and no case holds it. A number whose intake fails is a gap, which
// a case number may have.
func (n *Node) nextSerial(ctx context.Context, scope string, day time.Time) (int, error) {
	var serial int
	err := pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit = off`)
		b.Queue(`INSERT INTO serials (scope, day, n) VALUES ($1, $2, 1)
			ON CONFLICT (scope, day) DO UPDATE SET n = serials.n + 1 RETURNING n`, scope, day.Format("2006-01-02")).
			QueryRow(func(row pgx.Row) error { return row.Scan(&serial) })
		return tx.SendBatch(ctx, b).Close()
	})
	return serial, err
}

func shanghaiDay(t time.Time) time.Time {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return t.In(loc)
}

func (n *Node) recordNotice(ctx context.Context, kind, clerk string, m catalog.Matter, a Applicant, items []MissingRow, reasons []string) (*Notice, error) {
	id, _ := uuid.NewV7()
	now := n.now()
	nt := &Notice{ID: id, Kind: kind, MatterCode: m.Code, MatterName: m.Name, Applicant: a, Items: items, Reasons: reasons,
		Clerk: clerk, CreatedAt: now}
	if nt.Items == nil {
		nt.Items = []MissingRow{}
	}
	if nt.Reasons == nil {
		nt.Reasons = []string{}
	}
	day := shanghaiDay(now)
	serial, err := n.nextSerial(ctx, "notice:"+n.opt.Code, day)
	if err != nil {
		return nil, fmt.Errorf("handoff: record notice: %w", err)
	}
	err = pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		nt.NoticeNo = fmt.Sprintf("%s%sN%04d", n.opt.Code, day.Format("20060102"), serial)
		sa, err := n.sealApplicant(id, a)
		if err != nil {
			return err
		}
		its, _ := json.Marshal(nt.Items)
		rs, _ := json.Marshal(nt.Reasons)
		_, err = tx.Exec(ctx, `INSERT INTO notices (id, notice_no, kind, matter_code, applicant, items, reasons, clerk, created_at,
			applicant_sealed, applicant_key, id_hash)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`, id, nt.NoticeNo, kind, m.Code, sa.masked, its, rs, clerk, now,
			sa.sealed, sa.keyID, sa.idHash)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("handoff: record notice: %w", err)
	}
	return nt, nil
}

func (n *Node) createCase(ctx context.Context, clerk string, m catalog.Matter, req IntakeRequest, lines []MaterialLine) (*Case, error) {
	id, _ := uuid.NewV7()
	now := n.now()
	var caseNo string
	var missing []string
	for _, l := range lines {
		if l.Waived {
			missing = append(missing, l.ID)
		}
	}
	if missing == nil {
		missing = []string{}
	}
	day := shanghaiDay(now)
	serial, err := n.nextSerial(ctx, "case:"+n.opt.Code, day)
	if err != nil {
		return nil, fmt.Errorf("handoff: create case: %w", err)
	}
	caseNo = ident.NewCaseNo(n.opt.Code, day, serial)
	err = pgx.BeginFunc(ctx, n.opt.DB, func(tx pgx.Tx) error {
		sa, err := n.sealApplicant(id, req.Applicant)
		if err != nil {
			return err
		}
		mats, _ := json.Marshal(lines)
		miss, _ := json.Marshal(missing)
		var commit *string
		if len(missing) > 0 {
			commit = &req.CommitmentDate
		}
		_, err = tx.Exec(ctx, `INSERT INTO cases (id, case_no, origin, destination, matter_code, matter_name, department,
			case_type, legal_limit, promised_limit, limit_unit, applicant, materials, missing, commitment_date, state, clerk,
			intake_at, state_changed_at, updated_at, applicant_sealed, applicant_key, id_hash)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15::date,$16,$17,$18,$18,$18,$19,$20,$21)`,
			id, caseNo, n.opt.Code, m.DecidingCity, m.Code, m.Name, m.Department, m.CaseType, m.LegalLimit, m.PromisedLimit,
			m.LimitUnit, sa.masked, mats, miss, commit, Accepted, clerk, now, sa.sealed, sa.keyID, sa.idHash)
		if err != nil {
			return err
		}
		if err := n.recordEvent(ctx, tx, id, n.opt.Code, clerk, "intake", "", Accepted, uuid.Nil,
			map[string]any{"matter_code": m.Code, "waived": missing}); err != nil {
			return err
		}
		return n.runHooks(ctx, tx, Transition{CaseID: id, CaseNo: caseNo, Move: "intake", To: Accepted, Local: true, Actor: clerk, At: now})
	})
	if err != nil {
		return nil, fmt.Errorf("handoff: create case: %w", err)
	}
	n.metrics.moves.WithLabelValues("intake", "local").Inc()
	return n.loadCase(ctx, id.String())
}

func (n *Node) postIntake(w http.ResponseWriter, r *http.Request) error {
	var req IntakeRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	res, err := n.Intake(r.Context(), actor(r), req)
	if err != nil {
		return err
	}
	if res.Case != nil {
		res.Case.mask()
	}
	if res.Notice != nil {
		res.Notice.Applicant = res.Notice.Applicant.masked()
	}
	return writeJSON(w, http.StatusCreated, res)
}
