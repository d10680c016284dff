package handoff

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/internal/auth"
)

// TestIntakeOutcomes covers the three answers of the window: accepted (also under
// 容缺), a one-time notice listing everything missing, and a refusal.
func TestIntakeOutcomes(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	cat, _ := catalog.Load(gz)
	var m catalog.Matter
	var waivable catalog.Material
	for _, mm := range cat.Matters {
		for _, mat := range mm.Materials {
			if mat.Waivable {
				m, waivable = mm, mat
			}
		}
	}
	if m.Code == "" {
		t.Fatal("demo catalogue has no waivable material")
	}
	var none, allButWaivable []ItemCount
	var required []string
	for _, mat := range m.Materials {
		if mat.Required {
			required = append(required, mat.ID)
		}
		if mat.ID != waivable.ID {
			allButWaivable = append(allButWaivable, ItemCount{ID: mat.ID, Originals: mat.Originals, Copies: mat.Copies})
		}
	}

	out := a.must(t, 201, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: none})
	if out["outcome"] != OutcomeNotice {
		t.Fatalf("no materials: outcome %v", out["outcome"])
	}
	notice := out["notice"].(map[string]any)
	if items := notice["items"].([]any); len(items) != len(required) {
		t.Fatalf("one-time notice lists %d items, want all %d required", len(items), len(required))
	}
	if a.stateAt(t, notice["id"].(string)) != "" {
		t.Fatal("a notice became a case")
	}
	page := a.get(t, "/api/v1/notices/"+notice["id"].(string)+"/print")
	if !strings.Contains(page, "一次性告知书") || !strings.Contains(page, "@page") {
		t.Fatalf("notice page lacks its title or print stylesheet")
	}

	commit := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	out = a.must(t, 201, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: allButWaivable,
		Waived: []string{waivable.ID}, CommitmentDate: commit})
	c := out["case"].(map[string]any)
	if out["outcome"] != OutcomeAccepted || c["commitment_date"] != commit || len(c["missing"].([]any)) != 1 {
		t.Fatalf("容缺 intake: %v", out)
	}
	if !regexp.MustCompile(`^440100\d{8}\d{5}[0-9X]$`).MatchString(c["case_no"].(string)) {
		t.Fatalf("case number %q not origin+date+serial+check", c["case_no"])
	}
	if app := c["applicant"].(map[string]any); strings.Contains(app["id_number"].(string), "19900101") {
		t.Fatalf("API shows the ID number unmasked: %v", app["id_number"])
	}
	receipt := a.get(t, "/api/v1/cases/"+c["id"].(string)+"/receipt")
	if !strings.Contains(receipt, c["case_no"].(string)) || !strings.Contains(receipt, "容缺") {
		t.Fatal("receipt lacks the case number or the 容缺 commitment")
	}

	out = a.must(t, 201, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Refuse: true,
		Reasons: []string{"申请人不属于该事项服务对象"}})
	if out["outcome"] != OutcomeRefused || out["notice"].(map[string]any)["kind"] != "refusal" {
		t.Fatalf("refusal: %v", out)
	}
}

func (h *testHall) get(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", h.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+h.tokens[auth.WindowClerk])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// TestBadInputNamesTheFieldAndChangesNothing sends each kind of bad intake and checks
// the problem document and that no case or notice appeared.
func TestBadInputNamesTheFieldAndChangesNothing(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	m, items := firstMatter(t, a)
	good := func() IntakeRequest {
		return IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: items}
	}
	cases := []struct {
		name  string
		req   func() any
		field string
	}{
		{"bad check char", func() any { r := good(); r.Applicant.IDNumber = "440106199001010010"; return r }, "applicant.id_number"},
		{"short id", func() any { r := good(); r.Applicant.IDNumber = "4401"; return r }, "applicant.id_number"},
		{"bad phone", func() any { r := good(); r.Applicant.Phone = "12345"; return r }, "applicant.phone"},
		{"no name", func() any { r := good(); r.Applicant.Name = " "; return r }, "applicant.name"},
		{"bad type", func() any { r := good(); r.Applicant.Type = "robot"; return r }, "applicant.type"},
		{"unknown matter", func() any { r := good(); r.MatterCode = "NOPE"; return r }, "matter_code"},
		{"unknown material", func() any { r := good(); r.Materials = []ItemCount{{ID: "zz", Originals: 1}}; return r }, "materials[0].id"},
		{"negative count", func() any { r := good(); r.Materials = []ItemCount{{ID: items[0].ID, Originals: -1}}; return r }, "materials[0]"},
		{"waive required-only", func() any { r := good(); r.Waived = []string{"zz"}; return r }, "waived[0]"},
		{"refuse without reasons", func() any { r := good(); r.Refuse = true; return r }, "reasons"},
		{"unknown field", func() any { return map[string]any{"matter_code": m.Code, "colour": "red"} }, "body"},
	}
	for _, c := range cases {
		code, out := a.call(t, "POST", "/api/v1/intake", c.req())
		if code != 400 || out["field"] != c.field || out["detail"] == "" || out["detail_zh"] == "" || !strings.HasPrefix(out["type"].(string), problemBase) {
			t.Errorf("%s: %d %v, want 400 naming %s with both details", c.name, code, out, c.field)
		}
	}
	var n int
	a.opt.DB.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM cases) + (SELECT count(*) FROM notices)`).Scan(&n)
	if n != 0 {
		t.Fatalf("bad input left %d records", n)
	}
}

// TestMovesRespectStateAndOwner: a move the state does not allow is 409 with the
// current state; a move that belongs to the partner hall is refused.
func TestMovesRespectStateAndOwner(t *testing.T) {
	t.Parallel()
	a, b, _ := newPair(t)
	id, caseNo := acceptCase(t, a)
	code, out := a.call(t, "POST", "/api/v1/cases/"+id+"/dispatch", DispatchRequest{})
	if code != 400 || out["field"] != "seal_no" {
		t.Fatalf("dispatch before packaging: %d %v", code, out)
	}
	shipCase(t, a, id)
	code, out = a.call(t, "POST", "/api/v1/cases/"+id+"/dispatch", DispatchRequest{})
	if code != 409 || out["current_state"] != "dispatched" {
		t.Fatalf("second dispatch: %d %v", code, out)
	}
	waitState(t, b, id, Dispatched)
	if code, out := a.call(t, "POST", "/api/v1/cases/"+id+"/accept", Step{}); code != 409 || !strings.HasSuffix(out["type"].(string), "not-owner") {
		t.Fatalf("origin accepting: %d %v", code, out)
	}
	if code, out := b.call(t, "POST", "/api/v1/cases/"+id+"/accept", Step{}); code != 409 || out["current_state"] != "dispatched" {
		t.Fatalf("accept before sign-for: %d %v", code, out)
	}
	// A mistyped scan is caught by the check character.
	bad := []byte(caseNo)
	bad[10] = '0' + ('9'-bad[10]+1)%10
	if code, out := b.call(t, "POST", "/api/v1/receive", ReceiveRequest{Scan: string(bad)}); code != 400 || out["field"] != "scan" {
		t.Fatalf("mistyped scan: %d %v", code, out)
	}
	b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: caseNo})
	if code, out := b.call(t, "POST", "/api/v1/cases/"+id+"/reject", Step{}); code != 400 || out["field"] != "body" {
		t.Fatalf("reject without reasons: %d %v", code, out)
	}
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/reject", Step{Reasons: []string{"不属于本部门职权范围"}})
	waitState(t, a, id, Rejected)
}

// TestIdempotencyKey: a repeated intake with the same key returns the same case; the
// same key with another body is refused.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	m, items := firstMatter(t, a)
	req := IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: items}
	first := a.must(t, 201, "POST", "/api/v1/intake", req, "Idempotency-Key", "k-1")
	again := a.must(t, 201, "POST", "/api/v1/intake", req, "Idempotency-Key", "k-1")
	if first["case"].(map[string]any)["case_no"] != again["case"].(map[string]any)["case_no"] {
		t.Fatal("a repeated request made a second case")
	}
	req.Applicant.Phone = "13900139000"
	if code, _ := a.call(t, "POST", "/api/v1/intake", req, "Idempotency-Key", "k-1"); code != 422 {
		t.Fatalf("reused key with another body = %d", code)
	}
	var n int
	a.opt.DB.QueryRow(t.Context(), `SELECT count(*) FROM cases`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d cases, want 1", n)
	}
}

// TestAttachments: the SHA-256 is kept, the type must match the bytes, the size is
// bounded, and the files travel to the deciding hall with the package.
func TestAttachments(t *testing.T) {
	t.Parallel()
	a, b, _ := newPair(t)
	id, _ := acceptCase(t, a)
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	post := func(body []byte, ctype, name string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", a.base+"/api/v1/cases/"+id+"/attachments?name="+name, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+a.tokens[auth.WindowClerk])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out := map[string]any{}
		decodeJSON(resp.Body, &out)
		return resp.StatusCode, out
	}
	code, out := post(pdf, "application/pdf", "申请表.pdf")
	sum := sha256.Sum256(pdf)
	if code != 201 || out["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("upload: %d %v", code, out)
	}
	if code, out := post([]byte("MZ\x90\x00 not a pdf"), "application/pdf", "evil.pdf"); code != 400 || out["field"] != "content_type" {
		t.Fatalf("disguised file: %d %v", code, out)
	}
	if code, _ := post(bytes.Repeat([]byte("%PDF-"), 1<<20), "application/pdf", "big.pdf"); code != 400 && code != 413 {
		t.Fatalf("oversized file: %d", code)
	}
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)
	list := b.must(t, 200, "GET", "/api/v1/cases/"+id+"/attachments", nil)["attachments"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("deciding hall has attachments %v", list)
	}
	got := b.get(t, "/api/v1/cases/"+id+"/attachments/"+list[0].(map[string]any)["id"].(string))
	if got != string(pdf) {
		t.Fatal("the file changed on the way")
	}
	sheet := a.get(t, "/api/v1/cases/"+id+"/handover-sheet")
	if !strings.Contains(sheet, "交接单") || !strings.Contains(sheet, "FZ") {
		t.Fatal("handover sheet lacks its title or the seal number")
	}
}

// TestOpenAPIDocumentsEveryRoute reads the routes from the router itself, so a new
// route without documentation fails here.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	doc := string(openAPI)
	paths := map[string]map[string]bool{}
	var current string
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "  /") && strings.HasSuffix(line, ":") {
			current = strings.TrimSuffix(strings.TrimSpace(line), ":")
			paths[current] = map[string]bool{}
		} else if current != "" && regexp.MustCompile(`^    (get|post|put|delete|patch):`).MatchString(line) {
			paths[current][strings.ToUpper(strings.TrimSuffix(strings.TrimSpace(line), ":"))] = true
		}
	}
	var parsed struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &parsed); err != nil || parsed.OpenAPI == "" {
		t.Fatalf("openapi.yaml with its fragments is not valid YAML: %v", err)
	}
	if len(parsed.Paths) != len(paths) {
		t.Fatalf("YAML has %d paths, the line scan %d", len(parsed.Paths), len(paths))
	}
	routes := append(a.Routes(), "GET /healthz", "GET /readyz", "GET /metrics")
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if !paths[path][method] {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	if len(a.Routes()) < 25 {
		t.Fatalf("only %d routes read from the router", len(a.Routes()))
	}
}
