package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/sf"
)

func testSim(t testing.TB, f Faults) *Sim {
	t.Helper()
	s, err := New(Config{
		SF:        []SFAccount{{PartnerID: "P1", CheckWord: "cw", MonthlyCard: "755"}},
		EMS:       []EMSAccount{{AppKey: "E1", Secret: "es", SenderNo: "S1"}},
		Kuaidi100: []Kuaidi100Account{{Customer: "C1", Key: "K1"}},
		Seed:      3, Faults: f,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sfCall posts one signed SF call straight to the handler.
func sfCall(t testing.TB, s *Sim, service, msg string) string {
	t.Helper()
	form := sf.SignedForm("P1", "cw", service, msg, time.Now())
	return post(s, "/sf/std/service", form)
}

func post(s *Sim, path string, form url.Values) string {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Body.String()
}

const sfOrder = `{"orderId":"O1","monthlyCard":"755","expressTypeId":1,"totalWeight":2.3,"totalLength":30,"totalWidth":20,"totalHeight":10,
"isSignBack":1,"cargoDetails":[{"amount":500}],"serviceList":[{"name":"INSURE","value":"500"}],
"contactInfoList":[{"contactType":1,"mobile":"13800000001","province":"广东省","city":"广州市","address":"广东省广州市天河区"},
{"contactType":2,"tel":"01012345678","address":"北京市朝阳区工体东路1号"}]}`

func TestSFGateway(t *testing.T) {
	t.Parallel()
	s := testSim(t, Faults{})
	if got := sfCall(t, s, sf.ServiceCreateOrder, sfOrder); !strings.Contains(got, `"apiResultCode":"A1000"`) || !strings.Contains(got, `SF14`) {
		t.Fatalf("create: %s", got)
	}
	if got := sfCall(t, s, sf.ServiceCreateOrder, sfOrder); !strings.Contains(got, `\"errorCode\":\"8016\"`) {
		t.Fatalf("duplicate create: %s", got)
	}
	form := sf.SignedForm("P1", "wrong", sf.ServiceCreateOrder, sfOrder, time.Now())
	if got := post(s, "/sf/std/service", form); !strings.Contains(got, `"A1006"`) {
		t.Fatalf("bad digest: %s", got)
	}
	form = sf.SignedForm("P1", "cw", sf.ServiceSearchOrder, `{"orderId":"O1"}`, time.Now())
	post(s, "/sf/std/service", form)
	if got := post(s, "/sf/std/service", form); !strings.Contains(got, `"A1007"`) {
		t.Fatalf("reused request id: %s", got)
	}
	many := `{"trackingType":1,"trackingNumber":["1","2","3","4","5","6","7","8","9","10","11"]}`
	if got := sfCall(t, s, sf.ServiceSearchRoute, many); !strings.Contains(got, `\"errorCode\":\"8003\"`) {
		t.Fatalf("11 numbers: %s", got)
	}
	p := s.Parcels()[0]
	s.mu.Lock()
	pp := s.byWaybill[p.Waybill]
	s.mu.Unlock()
	if pp.From.province() != "44" || pp.To.province() != "11" || pp.Weight != 2300 || pp.L != 300 || !pp.Insured || !pp.Receipt {
		t.Fatalf("parcel as read: %+v", pp)
	}
}

func TestEMSGateway(t *testing.T) {
	t.Parallel()
	s := testSim(t, Faults{})
	biz := `{"logisticsOrderNo":"L1","senderNo":"S1","bizProductNo":"1","weight":800,"sender":{"areaCode":"440106"},"receiver":{"areaCode":"110105"}}`
	got := post(s, "/ems/api/gateway", ems.SignedForm("E1", "es", ems.MethodCreate, biz, time.Now()))
	if !strings.Contains(got, `"success":"T"`) || !strings.Contains(got, `"mailNo":"11`) {
		t.Fatalf("create: %s", got)
	}
	// 800 g across provinces: the first kilogram, 20.00 yuan.
	if !strings.Contains(got, `"postageTotal":2000`) {
		t.Fatalf("quote: %s", got)
	}
	got = post(s, "/ems/api/gateway", ems.SignedForm("E1", "es", ems.MethodCreate, biz, time.Now()))
	if !strings.Contains(got, ems.CodeDuplicateOrder) || !strings.Contains(got, `"mailNo":"11`) {
		t.Fatalf("duplicate create must name the mail number: %s", got)
	}
	if got := post(s, "/ems/api/gateway", ems.SignedForm("E1", "nope", ems.MethodTrace, `{"mailNo":"1"}`, time.Now())); !strings.Contains(got, ems.CodeBadSignature) {
		t.Fatalf("bad sign: %s", got)
	}
}

func TestJourneysAreRepeatable(t *testing.T) {
	t.Parallel()
	run := func() []Parcel {
		s := testSim(t, Faults{ProxySignRate: 0.3, LockerRate: 0.3, LostRate: 0.1})
		for i := range 30 {
			sfCall(t, s, sf.ServiceCreateOrder, strings.Replace(sfOrder, `"O1"`, `"O`+string(rune('A'+i))+`"`, 1))
		}
		return s.Parcels()
	}
	a, b := run(), run()
	finals := map[string]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("run differs at %d: %+v vs %+v", i, a[i], b[i])
		}
		finals[a[i].Final]++
	}
	for _, f := range []string{"signed", "proxy", "locker"} {
		if finals[f] == 0 {
			t.Errorf("no %s ending among 30 parcels: %v", f, finals)
		}
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	s := testSim(t, Faults{})
	from, to := place{Code: "440106", Name: "广州市"}, place{Code: "110105", Name: "北京市"}
	for _, end := range []ending{endSigned, endProxy, endLocker, endLost} {
		scans := plan(s.rng, DefaultStart, from, to, end)
		for i := 1; i < len(scans); i++ {
			if !scans[i].At.After(scans[i-1].At) {
				t.Fatalf("scans out of order: %+v", scans)
			}
		}
		last := scans[len(scans)-1].Step
		want := map[ending]step{endSigned: stepSigned, endProxy: stepSignedProxy, endLocker: stepLocker, endLost: stepDeparted}[end]
		if last != want {
			t.Errorf("ending %d: last step %d, want %d", end, last, want)
		}
	}
}

func TestAdminEndpoints(t *testing.T) {
	t.Parallel()
	s := testSim(t, Faults{})
	req := httptest.NewRequest(http.MethodPost, "/sim/faults", strings.NewReader(`{"error_rate":0.5,"latency_ms":1}`))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 || s.Faults().ErrorRate != 0.5 {
		t.Fatalf("faults: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"nonsense":1}`, `{`} {
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sim/faults", strings.NewReader(bad)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/sim/advance", strings.NewReader(`{"by":"90m"}`)))
	if rec.Code != 200 || !s.Now().Equal(DefaultStart.Add(90*time.Minute)) {
		t.Fatalf("advance: %d %s now %v", rec.Code, rec.Body, s.Now())
	}
}

func TestServerTicks(t *testing.T) {
	t.Parallel()
	s, err := New(Config{EMS: []EMSAccount{{AppKey: "E", Secret: "s"}}, Speed: 3600})
	if err != nil {
		t.Fatal(err)
	}
	sv, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(sv.URL + "/sim/faults")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !s.Now().After(DefaultStart) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := sv.Close(); err != nil {
		t.Fatal(err)
	}
	if !s.Now().After(DefaultStart) {
		t.Fatal("the clock did not move at Speed 3600")
	}
}

func TestMainRejectsBadFlags(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := Main(context.Background(), []string{"-nope"}, &out); err == nil {
		t.Fatal("bad flag accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Main(ctx, []string{"-addr", "127.0.0.1:0"}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "sim-sf-check-word") {
		t.Fatal("a credential was logged")
	}
}

func FuzzAPI(f *testing.F) {
	s := testSim(f, Faults{})
	f.Add("/sf/std/service", sf.SignedForm("P1", "cw", sf.ServiceCreateOrder, sfOrder, time.Unix(0, 0)).Encode())
	f.Add("/ems/api/gateway", ems.SignedForm("E1", "es", ems.MethodTrace, `{"mailNo":"1"}`, time.Unix(0, 0)).Encode())
	f.Add("/kuaidi100/poll", `schema=json&param={"company":"ems","number":"1","key":"K1","parameters":{"callbackurl":"http://x"}}`)
	f.Add("/kuaidi100/poll/query.do", "customer=C1&param={}&sign=x")
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/sf/std/service", "/ems/api/gateway", "/kuaidi100/poll", "/kuaidi100/poll/query.do":
		default:
			return
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		s.ServeHTTP(httptest.NewRecorder(), req)
	})
}

func TestConfigJSONKeepsSecretsOut(t *testing.T) {
	t.Parallel()
	var c Config
	in := `{"sf":[{"partner_id":"P","check_word":"cw-123","push_url":"http://x"}],"faults":{"lost_rate":0.1}}`
	if err := json.Unmarshal([]byte(in), &c); err != nil || c.SF[0].CheckWord.Reveal() != "cw-123" || c.Faults.LostRate != 0.1 {
		t.Fatalf("%+v %v", c, err)
	}
	if err := c.withDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(c)
	if strings.Contains(string(out), "cw-123") {
		t.Fatalf("secret in %s", out)
	}
}
