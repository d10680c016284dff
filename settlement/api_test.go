package settlement

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tongban/tongban/internal/auth"
)

// TestOpenAPICoversRoutes holds the OpenAPI document to every registered route and
// to who may call it: x-roles lists a route's roles, security: [] marks it public.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	type operation struct {
		Roles    []auth.Role `yaml:"x-roles"`
		Security *[]any      `yaml:"security"`
	}
	var doc struct {
		Paths map[string]map[string]operation `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	documented := 0
	for _, r := range h.n.Routes() {
		method, path, _ := strings.Cut(r, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("route %s is not in openapi.yaml", r)
			continue
		}
		documented++
		access := h.n.access[r]
		if public := op.Security != nil && len(*op.Security) == 0; public != access.public {
			t.Errorf("%s: documented public %v, routed public %v", r, public, access.public)
		}
		if !slices.Equal(op.Roles, access.roles) {
			t.Errorf("%s: documented x-roles %v, routed %v", r, op.Roles, access.roles)
		}
	}
	ops := 0
	for _, p := range doc.Paths {
		ops += len(p)
	}
	if ops != documented {
		t.Errorf("openapi.yaml has %d operations, the mux %d routes", ops, documented)
	}
}

// call sends body with the bearer token tok ("" for none) and decodes the JSON answer.
func call(t *testing.T, srv *httptest.Server, method, path, tok, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
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

// TestAPI drives the finance flow over HTTP as logged-in staff: problems carry both
// languages, an import with a bad row answers 422 with its report, each step takes
// its role, and the close needs a second person.
func TestAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := httptest.NewServer(h.n.Handler())
	defer srv.Close()
	alice, bob, carol := h.tokens[auth.FinancePreparer], h.tokens[auth.FinanceApprover], h.tokens[auth.Admin]
	tariff, _ := json.Marshal(simTariffs()[0])
	if code, p := call(t, srv, "POST", "/api/v1/tariffs", "", string(tariff)); code != 401 || p["type"] != problemBase+"unauthenticated" || p["detail_zh"] == "" {
		t.Fatalf("no login: %d %v", code, p)
	}
	if code, p := call(t, srv, "POST", "/api/v1/tariffs", alice, string(tariff)); code != 403 || p["type"] != problemBase+"forbidden" {
		t.Fatalf("a preparer setting prices: %d %v", code, p)
	}
	if code, tr := call(t, srv, "POST", "/api/v1/tariffs", bob, string(tariff)); code != 201 || tr["created_by"] != "bob" {
		t.Fatalf("tariff: %d %v", code, tr)
	}
	if code, p := call(t, srv, "POST", "/api/v1/tariffs", carol, `{"carrier":"sf","version":1,"bogus":1}`); code != 400 || p["field"] != "body" {
		t.Fatalf("unknown field: %d %v", code, p)
	}
	h.send(t, TypeWaybillCreated, sampleEvent("SF1400000000001"))
	if code, fee := call(t, srv, "GET", "/api/v1/waybills/sf/SF1400000000001/fee", alice, ""); code != 200 || fee["total_fen"].(float64) != 2200 {
		t.Fatalf("fee: %d %v", code, fee)
	}
	file := sfHeader + "1,SF1400000000001,2025-03-05,广东省,广东省,顺丰特快,1.2,1.5,30.0*20.0*10.0,17.00,5.00,0.00,0.00,22.00\r\n" + sfRow("2", "SF1400000000002", "17.0x", "17.00")
	code, imp := call(t, srv, "POST", "/api/v1/imports?carrier=sf&account=P1&period=2025-03&file_name=m.csv", alice, file)
	if code != 422 || imp["status"] != "needs_review" || len(imp["errors"].([]any)) != 1 || imp["imported_by"] != "alice" {
		t.Fatalf("import with a bad row: %d %v", code, imp)
	}
	id := int(imp["id"].(float64))
	if code, _ := call(t, srv, "POST", "/api/v1/imports/"+strconv.Itoa(id)+"/accept", bob, ""); code != 403 {
		t.Fatalf("an approver accepting an import: %d", code)
	}
	if code, _ := call(t, srv, "POST", "/api/v1/imports/"+strconv.Itoa(id)+"/accept", alice, ""); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	if code, _ := call(t, srv, "POST", "/api/v1/imports?carrier=sf&account=P1&period=2025-03", alice, file); code != 200 {
		t.Fatalf("same file again: %d", code)
	}
	if code, rec := call(t, srv, "POST", "/api/v1/reconciliations", alice, `{"carrier":"sf","account":"P1","period":"2025-03"}`); code != 200 || rec["lines"].(float64) != 1 {
		t.Fatalf("reconcile: %d %v", code, rec)
	}
	if code, c := call(t, srv, "POST", "/api/v1/periods/2025-03/prepare", alice, ""); code != 200 || c["prepared_by"] != "alice" {
		t.Fatalf("prepare: %d %v", code, c)
	}
	if code, p := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", alice, ""); code != 403 || p["detail_zh"] == "" {
		t.Fatalf("the preparer approving: %d %v", code, p)
	}
	if code, c := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", bob, ""); code != 200 || c["status"] != "closed" || c["approved_by"] != "bob" {
		t.Fatalf("checker approving: %d %v", code, c)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/periods/2025-03/statements/carrier/sf/html", nil)
	req.Header.Set("Authorization", "Bearer "+alice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || len(resp.Header.Get("X-Content-SHA256")) != 64 || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("statement: %v %v", err, resp)
	}
	resp.Body.Close()
	if code, _ := call(t, srv, "GET", "/api/v1/audit/verify", alice, ""); code != 403 {
		t.Fatalf("a preparer verifying the audit log: %d", code)
	}
	if code, v := call(t, srv, "GET", "/api/v1/audit/verify", bob, ""); code != 200 || v["ok"] != true {
		t.Fatalf("audit verify: %d %v", code, v)
	}
	if code, _ := call(t, srv, "GET", "/api/v1/disputes/999", alice, ""); code != 404 {
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
	if v, _ := h.n.VerifyAudit(ctx); !v.OK || v.Entries != int64(2+len(staffNames)) { // the tariffs and the harness's tokens
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
