package settlement

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
	"github.com/tongban/tongban/internal/web"
)

// consoleServer serves a harness node, console included (NewNode mounts it).
func consoleServer(t testing.TB, h *harness) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h.n.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// financeSession logs username in and returns the session token and CSRF token.
func financeSession(t testing.TB, h *harness, username, password string) (string, string) {
	t.Helper()
	sess, err := h.n.Auth().Login(context.Background(), username, password, "", "test-"+uuid.NewString())
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return sess.Token, sess.CSRF
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// seedLedger books one waybill, imports a bill with an overcharged line and a bad
// row (rejections accepted), reconciles and disputes the line. It returns the
// import's id and the waybill number, which no refusal may show.
func seedLedger(t *testing.T, h *harness) (int64, string) {
	t.Helper()
	ctx := context.Background()
	h.tariffs(t)
	const no = "SF1400000000001"
	h.send(t, TypeWaybillCreated, sampleEvent(no))
	file := sfHeader + sfRow("1", no, "99.00", "99.00") + sfRow("2", "SF1400000000002", "abc", "abc")
	imp, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "march.csv", Actor: "alice",
		AcceptRejections: true}, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Status != "accepted" || imp.Bad != 1 {
		t.Fatalf("seed import: %+v", imp)
	}
	if _, err := h.n.Reconcile(ctx, "sf", "P1", "2025-03", "alice"); err != nil {
		t.Fatal(err)
	}
	lines, err := h.n.ReconLines(ctx, "sf", "P1", "2025-03", ClassOvercharged, 10, 0)
	if err != nil || len(lines) != 1 {
		t.Fatalf("seed reconciliation: %v %+v", err, lines)
	}
	if _, err := h.n.OpenDispute(ctx, imp.ID, lines[0].Row, "运费高于合同资费", "alice"); err != nil {
		t.Fatal(err)
	}
	return imp.ID, no
}

// TestFinanceConsolePagesCheckWhoCalls walks every finance page read from the
// console's own registration list: without a session (303 to the login page), with
// each finance role and the administrator (allowed, or a 403 page), and with a
// Guangzhou window clerk's account (403), and checks that no refusal shows ledger data.
func TestFinanceConsolePagesCheckWhoCalls(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := consoleServer(t, h)
	importID, waybill := seedLedger(t, h)
	c := consoleOf(h.n)
	if c == nil || len(c.List) < 20 {
		t.Fatalf("console registered %v", c)
	}
	ctx := context.Background()
	sessions := map[string][2]string{}
	for role, name := range staffNames {
		tok, csrf := financeSession(t, h, name, "test password 1")
		sessions[string(role)] = [2]string{tok, csrf}
	}
	const pw = "console password 1"
	hash, _ := authkit.HashPassword(pw)
	if _, err := h.n.db.Exec(ctx, `INSERT INTO staff_users (id, username, display_name, role, hall, password_hash)
		VALUES ($1, 'clerk-gz', 'x', 'window_clerk', '440100', $2)`, uuid.Must(uuid.NewV7()), hash); err != nil {
		t.Fatal(err)
	}
	tok, csrf := financeSession(t, h, "clerk-gz", pw)
	sessions["hall-clerk"] = [2]string{tok, csrf}

	pages := slices.Clone(c.List)
	// Logging out ends the session the walk uses, so it goes last.
	slices.SortStableFunc(pages, func(x, y web.Route) int {
		return strings.Compare(fmt.Sprint(x.Pattern == "POST /finance/logout"), fmt.Sprint(y.Pattern == "POST /finance/logout"))
	})
	id := strconv.FormatInt(importID, 10)
	for _, pg := range pages {
		if pg.Public {
			continue
		}
		method, path, _ := strings.Cut(pg.Pattern, " ")
		u := strings.NewReplacer("{id}", id, "{period}", "2025-03", "{kind}", "carrier", "{subject}", "sf", "{format}", "csv",
			"{$}", "").Replace(path)
		try := func(who string) (int, string, string) {
			var body io.Reader
			if method == http.MethodPost {
				form := url.Values{}
				if s, ok := sessions[who]; ok {
					form.Set("csrf_token", s[1])
				}
				body = strings.NewReader(form.Encode())
			}
			req, _ := http.NewRequest(method, srv.URL+u, body)
			if method == http.MethodPost {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if s, ok := sessions[who]; ok {
				req.AddCookie(&http.Cookie{Name: h.n.Auth().CookieName(), Value: s[0]})
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatalf("%s as %s: %v", pg.Pattern, who, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header.Get("Location"), string(b)
		}
		refused := func(who string, code int, body string, want int) {
			t.Helper()
			if code != want {
				t.Errorf("%s as %s = %d, want %d", pg.Pattern, who, code, want)
			}
			if strings.Contains(body, waybill) || strings.Contains(body, "march.csv") || strings.Contains(body, "运费高于") {
				t.Errorf("%s as %s leaked ledger data in a refusal", pg.Pattern, who)
			}
		}
		code, loc, body := try("nobody")
		refused("nobody", code, body, http.StatusSeeOther)
		if !strings.HasPrefix(loc, "/finance/login") {
			t.Errorf("%s without a session goes to %q, want the login page", pg.Pattern, loc)
		}
		code, _, body = try("hall-clerk")
		refused("hall-clerk", code, body, http.StatusForbidden)
		for _, role := range []auth.Role{auth.FinancePreparer, auth.FinanceApprover, auth.Admin} {
			code, loc, body := try(string(role))
			allowed := pg.Roles == nil || slices.Contains(pg.Roles, role)
			switch {
			case allowed && (code == 401 || code == 403 || strings.Contains(loc, "expired=1")):
				t.Errorf("%s as %s = %d %s, but the role is allowed", pg.Pattern, role, code, loc)
			case allowed && code >= 500:
				t.Errorf("%s as %s = %d: %s", pg.Pattern, role, code, body)
			case allowed && strings.Contains(body, "⟦"):
				t.Errorf("%s as %s shows a missing dictionary key: %s", pg.Pattern, role, body[strings.Index(body, "⟦"):][:60])
			case !allowed:
				refused(string(role), code, body, http.StatusForbidden)
			}
		}
	}
}

// TestFinanceConsoleShowsTheLedger: the pages show what the node holds, in both
// languages, without a missing dictionary key.
func TestFinanceConsoleShowsTheLedger(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := consoleServer(t, h)
	importID, waybill := seedLedger(t, h)
	tok, _ := financeSession(t, h, "alice", "test password 1")
	get := func(path, lang string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: h.n.Auth().CookieName(), Value: tok})
		req.AddCookie(&http.Cookie{Name: "tongban_lang", Value: lang})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.Contains(string(b), "⟦") {
			t.Fatalf("%s (%s) = %d: %s", path, lang, resp.StatusCode, b)
		}
		return string(b)
	}
	for _, lang := range []string{"zh", "en"} {
		imp := get(fmt.Sprintf("/finance/imports/%d", importID), lang)
		if !strings.Contains(imp, `<td class="num mono">3</td>`) {
			t.Errorf("the import page lacks the bad row's number (%s)", lang)
		}
		rec := get("/finance/recon?carrier=sf&account=P1&period=2025-03&class=overcharged", lang)
		if !strings.Contains(rec, waybill) || !strings.Contains(rec, `data-class="overcharged"`) {
			t.Errorf("the reconciliation page lacks the overcharged line (%s)", lang)
		}
		if !strings.Contains(rec, "<details>") {
			t.Errorf("the overcharged line has no fee trace (%s)", lang)
		}
		if d := get("/finance/disputes?carrier=sf&account=P1", lang); !strings.Contains(d, waybill) || !strings.Contains(d, "dispute-export") {
			t.Errorf("the disputes page lacks the dispute or its export (%s)", lang)
		}
		get("/finance/bills", lang)
		get("/finance/close", lang)
	}

	// Without JavaScript the upload is a plain multipart post, its CSRF token the
	// form's first part; it lands on the import's page.
	tok, csrf := financeSession(t, h, "alice", "test password 1")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", csrf)
	for _, kv := range [][2]string{{"carrier", "sf"}, {"account", "P1"}, {"period", "2025-03"}, {"encoding", ""}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", "april.csv")
	_, _ = io.WriteString(fw, sfHeader+sfRow("1", "SF1400000000009", "17.00", "17.00"))
	_ = mw.Close()
	post := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/finance/bills", bytes.NewReader(body.Bytes()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: h.n.Auth().CookieName(), Value: tok})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	if code, loc := post(); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/finance/imports/") {
		t.Fatalf("plain upload = %d %q", code, loc)
	}
	// The same post with another session's token is refused.
	tok, _ = financeSession(t, h, "alice", "test password 1")
	if code, _ := post(); code != http.StatusForbidden {
		t.Fatalf("upload with a stale CSRF token = %d, want 403", code)
	}
}
