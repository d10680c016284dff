package settlement

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOpenAPICoversRoutes holds the OpenAPI document to every registered route.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	documented := 0
	for _, r := range h.n.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
		documented++
	}
	ops := 0
	for _, p := range doc.Paths {
		ops += len(p)
	}
	if ops != documented {
		t.Errorf("openapi.yaml has %d operations, the mux %d routes", ops, documented)
	}
}

func call(t *testing.T, srv *httptest.Server, method, path, actor, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if actor != "" {
		req.Header.Set("X-Tongban-Actor", actor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	if resp.StatusCode >= 400 && resp.StatusCode != 422 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("%s %s: %d without a problem document", method, path, resp.StatusCode)
	}
	return resp.StatusCode, out
}

// TestAPI drives the finance flow over HTTP: problems carry both languages, an
// import with a bad row answers 422 with its report, the maker cannot approve.
func TestAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := httptest.NewServer(h.n.Handler())
	defer srv.Close()
	tariff, _ := json.Marshal(simTariffs()[0])
	if code, p := call(t, srv, "POST", "/api/v1/tariffs", "", string(tariff)); code != 400 || p["field"] != "X-Tongban-Actor" || p["detail_zh"] == "" {
		t.Fatalf("no actor: %d %v", code, p)
	}
	if code, _ := call(t, srv, "POST", "/api/v1/tariffs", "alice", string(tariff)); code != 201 {
		t.Fatalf("tariff: %d", code)
	}
	if code, p := call(t, srv, "POST", "/api/v1/tariffs", "alice", `{"carrier":"sf","version":1,"bogus":1}`); code != 400 || p["field"] != "body" {
		t.Fatalf("unknown field: %d %v", code, p)
	}
	h.send(t, TypeWaybillCreated, sampleEvent("SF1400000000001"))
	if code, fee := call(t, srv, "GET", "/api/v1/waybills/sf/SF1400000000001/fee", "", ""); code != 200 || fee["total_fen"].(float64) != 2200 {
		t.Fatalf("fee: %d %v", code, fee)
	}
	file := sfHeader + "1,SF1400000000001,2025-03-05,广东省,广东省,顺丰特快,1.2,1.5,30.0*20.0*10.0,17.00,5.00,0.00,0.00,22.00\r\n" + sfRow("2", "SF1400000000002", "17.0x", "17.00")
	code, imp := call(t, srv, "POST", "/api/v1/imports?carrier=sf&account=P1&period=2025-03&file_name=m.csv", "alice", file)
	if code != 422 || imp["status"] != "needs_review" || len(imp["errors"].([]any)) != 1 {
		t.Fatalf("import with a bad row: %d %v", code, imp)
	}
	id := int(imp["id"].(float64))
	if code, _ := call(t, srv, "POST", "/api/v1/imports/"+strconv.Itoa(id)+"/accept", "bob", ""); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	if code, _ := call(t, srv, "POST", "/api/v1/imports?carrier=sf&account=P1&period=2025-03", "alice", file); code != 200 {
		t.Fatalf("same file again: %d", code)
	}
	if code, rec := call(t, srv, "POST", "/api/v1/reconciliations", "alice", `{"carrier":"sf","account":"P1","period":"2025-03"}`); code != 200 || rec["lines"].(float64) != 1 {
		t.Fatalf("reconcile: %d %v", code, rec)
	}
	if code, _ := call(t, srv, "POST", "/api/v1/periods/2025-03/prepare", "alice", ""); code != 200 {
		t.Fatalf("prepare: %d", code)
	}
	if code, p := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", "alice", ""); code != 403 || p["detail_zh"] == "" {
		t.Fatalf("maker approving: %d %v", code, p)
	}
	if code, c := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", "bob", ""); code != 200 || c["status"] != "closed" {
		t.Fatalf("checker approving: %d %v", code, c)
	}
	resp, err := http.Get(srv.URL + "/api/v1/periods/2025-03/statements/carrier/sf/html")
	if err != nil || resp.StatusCode != 200 || len(resp.Header.Get("X-Content-SHA256")) != 64 {
		t.Fatalf("statement: %v %v", err, resp)
	}
	resp.Body.Close()
	if code, v := call(t, srv, "GET", "/api/v1/audit/verify", "", ""); code != 200 || v["ok"] != true {
		t.Fatalf("audit verify: %d %v", code, v)
	}
	if code, _ := call(t, srv, "GET", "/api/v1/disputes/999", "", ""); code != 404 {
		t.Fatalf("missing dispute: %d", code)
	}
}

// TestAuditTamperDetected edits a row behind the trigger's back and expects verify
// to name it.
func TestAuditTamperDetected(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.tariffs(t)
	if _, err := h.n.db.Exec(ctx, `UPDATE audit_log SET actor = 'mallory' WHERE seq = 1`); err == nil {
		t.Fatal("the append-only trigger let an UPDATE through")
	}
	if v, _ := h.n.VerifyAudit(ctx); !v.OK || v.Entries != 2 {
		t.Fatalf("clean chain: %+v", v)
	}
	_, err := h.n.db.Exec(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
		UPDATE audit_log SET detail = '{"carrier":"sf","version":9}' WHERE seq = 1;
		ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := h.n.VerifyAudit(ctx); v.OK || v.BrokenAt != 1 {
		t.Fatalf("tampered chain: %+v", v)
	}
}
