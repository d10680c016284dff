package handoff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/handoff/ident"
	"github.com/tongban/tongban/internal/auth"
)

// ScenarioOptions drive the demo's scripted stream of cases.
type ScenarioOptions struct {
	Halls    map[string]string               // division code -> base URL
	Tokens   map[string]map[auth.Role]string // division code -> role -> API token
	Interval time.Duration                   // between new applications
	Step     time.Duration                   // between the steps of one case
	// CourierDelivers: the parcel's progress comes from the courier's pushes, so the
	// script neither types a waybill nor records the parcel's movement by hand.
	CourierDelivers bool
	Log             *slog.Logger
}

// RunScenario plays window clerks and hall staff through the public API so a newcomer
// sees cases arrive in the other city within seconds: applications in both cities,
// now and then an incomplete one (one-time notice), a supplement request, a refusal
// or a special procedure, every case carried to its end. It runs until ctx ends.
func RunScenario(ctx context.Context, opt ScenarioOptions) {
	codes := make([]string, 0, len(opt.Halls))
	for c := range opt.Halls {
		codes = append(codes, c)
	}
	if len(codes) < 2 {
		return
	}
	c := &scenario{opt: opt, http: &http.Client{Timeout: 10 * time.Second}, rng: rand.New(rand.NewPCG(1, 2))}
	tick := time.NewTicker(opt.Interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		origin := codes[n%len(codes)]
		dest := codes[(n+1)%len(codes)]
		go func(n int) {
			if err := c.play(ctx, n, origin, dest); err != nil && ctx.Err() == nil {
				opt.Log.Warn("demo scenario: case stopped", slog.Int("n", n), slog.String("err", err.Error()))
			}
		}(n)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// scenStep is one API call of a case's story; wait names the state the calling
// hall's copy must reach first (the partner's previous step having arrived).
type scenStep struct {
	hall, path string
	body       any
	wait       State
}

type scenario struct {
	opt  ScenarioOptions
	http *http.Client
	rng  *rand.Rand
}

var demoNames = []string{"陈志强", "李晓燕", "黄嘉欣", "梁伟明", "何秀英", "欧阳建国", "林雅婷", "张海峰", "周美玲", "吴俊杰"}

func (s *scenario) play(ctx context.Context, n int, origin, dest string) error {
	cat, err := catalog.Load(origin)
	if err != nil {
		return err
	}
	m := cat.Matters[n%len(cat.Matters)]
	var items []ItemCount
	for _, mat := range m.Materials {
		items = append(items, ItemCount{ID: mat.ID, Originals: mat.Originals, Copies: mat.Copies})
	}
	first17 := fmt.Sprintf("%s19%02d%02d%02d%03d", origin, 60+n%40, 1+n%12, 1+n%28, n%1000)
	check, _ := ident.ResidentIDCheckChar(first17)
	app := Applicant{Type: "person", Name: demoNames[n%len(demoNames)], IDType: ident.TypeResidentID, IDNumber: first17 + string(check),
		Phone: fmt.Sprintf("138%08d", n), Address: "广东省示范路 " + fmt.Sprint(n) + " 号"}
	if n%10 == 3 {
		// An applicant without the required papers gets a one-time notice.
		_, err := s.post(ctx, origin, "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: app, Materials: items[:1]})
		return err
	}
	var res IntakeResult
	out, err := s.post(ctx, origin, "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: app, Materials: items})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Case == nil {
		return fmt.Errorf("intake: %s", out)
	}
	id, caseNo := res.Case.ID.String(), res.Case.CaseNo
	steps := []scenStep{{origin, "/package", PackageRequest{SealNo: fmt.Sprintf("FZ%s%04d", origin[:4], n)}, ""}}
	if s.opt.CourierDelivers {
		steps = append(steps, scenStep{origin, "/dispatch", DispatchRequest{}, ""})
	} else {
		steps = append(steps,
			scenStep{origin, "/dispatch", DispatchRequest{Waybill: fmt.Sprintf("SF%013d", 1400000000000+int64(n))}, ""},
			scenStep{origin, "/parcel", Step{Status: "in_transit"}, ""},
			scenStep{origin, "/parcel", Step{Status: "delivered"}, ""})
	}
	steps = append(steps, scenStep{dest, "receive", ReceiveRequest{Scan: caseNo}, Delivered})
	switch {
	case n%7 == 5:
		steps = append(steps, scenStep{dest, "/reject", Step{Reasons: []string{"申请事项不属于本部门职权范围"}}, ""}, scenStep{origin, "/close", Step{}, Rejected})
	default:
		if n%5 == 2 {
			steps = append(steps,
				scenStep{dest, "/request-correction", Step{Items: []Item{{Name: "补充材料说明", Note: "请补交近三个月社保缴费证明"}}}, ""},
				scenStep{origin, "/supplement", Step{Items: []Item{{Name: "社保缴费证明", Copies: 1}}}, CorrectionRequested})
		}
		steps = append(steps, scenStep{dest, "/accept", Step{}, Received})
		if n%6 == 1 {
			steps = append(steps,
				scenStep{dest, "/pause", Step{Kind: "expert_review", Note: "组织专家评审"}, ""},
				scenStep{dest, "/resume", Step{}, ""})
		}
		steps = append(steps,
			scenStep{dest, "/conclude", Step{Result: &Result{Outcome: "granted", DocumentName: m.Name + "决定书", DocumentNo: fmt.Sprintf("%s〔2026〕%04d号", dest, n)}}, ""},
			scenStep{dest, "/dispatch-result", Step{Method: "origin_window"}, ""},
			scenStep{origin, "/deliver-result", Step{SignedBy: app.Name}, ResultDispatched},
			scenStep{origin, "/close", Step{}, ""})
	}
	for _, st := range steps {
		if err := sleep(ctx, s.opt.Step+time.Duration(s.rng.Int64N(int64(s.opt.Step)))); err != nil {
			return err
		}
		if st.wait != "" {
			if err := s.waitFor(ctx, st.hall, id, st.wait); err != nil {
				return err
			}
		}
		path := "/api/v1/cases/" + id + st.path
		if st.path == "receive" {
			path = "/api/v1/receive"
		}
		if _, err := s.post(ctx, st.hall, path, st.body); err != nil {
			return err
		}
	}
	return nil
}

// RoleForPath is who makes a case's step over the API: the deciding hall's staff for
// sign-for and decisions, the window clerk for the rest.
func RoleForPath(path string) auth.Role {
	if path == "/api/v1/receive" {
		return auth.HallStaff
	}
	for _, suffix := range []string{"/accept", "/request-correction", "/reject", "/pause", "/resume", "/conclude", "/dispatch-result"} {
		if strings.HasSuffix(path, suffix) {
			return auth.HallStaff
		}
	}
	return auth.WindowClerk
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// waitFor polls a hall until its copy of the case reaches state.
func (s *scenario) waitFor(ctx context.Context, hall, id string, want State) error {
	for i := 0; i < 300; i++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.opt.Halls[hall]+"/api/v1/cases/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+s.opt.Tokens[hall][auth.WindowClerk])
		resp, err := s.http.Do(req)
		if err == nil {
			var c Case
			_ = json.NewDecoder(resp.Body).Decode(&c)
			resp.Body.Close()
			if c.State == want {
				return nil
			}
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("case %s never reached %s at %s", id, want, hall)
}

func (s *scenario) post(ctx context.Context, hall, path string, body any) ([]byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", s.opt.Halls[hall]+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.opt.Tokens[hall][RoleForPath(path)])
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("POST %s at %s = %d: %s", path, hall, resp.StatusCode, out)
	}
	return out, nil
}
