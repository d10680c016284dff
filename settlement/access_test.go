package settlement

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
)

// TestEveryRouteChecksWhoCalls walks every route read from the router itself, so a
// new route cannot be missed, with no credentials, a bad token, a hall clerk's
// account and each centre role. It asserts 401 or 403 where the rules say so, and
// that refused answers carry no ledger data.
func TestEveryRouteChecksWhoCalls(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tariffs(t)
	ev := sampleEvent("SF1400000000077")
	h.send(t, TypeWaybillCreated, ev)
	srv := httptest.NewServer(h.n.Handler())
	defer srv.Close()
	ctx := context.Background()

	// A window clerk of Guangzhou, written straight into settlement's database as a
	// compromised administrator might: the account is not the centre's, so it never
	// gets in.
	uid := uuid.Must(uuid.NewV7())
	hash, _ := authkit.HashPassword("irrelevant password")
	if _, err := h.n.db.Exec(ctx, `INSERT INTO staff_users (id, username, display_name, role, hall, password_hash)
		VALUES ($1, 'intruder-clerk', 'x', 'window_clerk', '440100', $2)`, uid, hash); err != nil {
		t.Fatal(err)
	}
	clerk := h.token(t, uid, "intruder-clerk", auth.WindowClerk)

	// What a leak would show: the waybill, its case and its tariff.
	secrets := []string{ev.Waybill, ev.CaseNo, ev.CaseID, "顺丰特快"}
	routes := h.n.Routes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes read from the router", len(routes))
	}
	for _, pattern := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		url := strings.NewReplacer("{carrier}", "sf", "{number}", ev.Waybill, "{id}", "1", "{account}", "P1",
			"{period}", "2025-03", "{kind}", "carrier", "{subject}", "sf", "{format}", "csv", "{username}", "nobody").Replace(path)
		access := h.n.access[pattern]
		try := func(who, bearer string) (int, string) {
			req, _ := http.NewRequest(method, srv.URL+url, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s as %s: %v", pattern, who, err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s as %s: no security headers", pattern, who)
			}
			return resp.StatusCode, string(b)
		}
		refused := func(who string, code int, body string, want int) {
			t.Helper()
			if code != want {
				t.Errorf("%s as %s = %d, want %d", pattern, who, code, want)
			}
			for _, s := range secrets {
				// The problem's instance echoes the caller's own path, which may name the waybill.
				if strings.Contains(body, s) && !strings.Contains(url, s) {
					t.Errorf("%s as %s leaked %q in a refusal", pattern, who, s)
				}
			}
		}
		if access.public {
			// Login answers 401 to the empty credentials sent here, as it should.
			if code, _ := try("nobody", ""); code == 403 || (code == 401 && pattern != "POST /api/v1/login") {
				t.Errorf("public %s = %d", pattern, code)
			}
			continue
		}
		code, body := try("nobody", "")
		refused("nobody", code, body, http.StatusUnauthorized)
		code, body = try("a bad token", "tbk_0123456789abcdef_notatoken")
		refused("a bad token", code, body, http.StatusUnauthorized)
		code, body = try("a hall clerk", clerk)
		refused("a hall clerk", code, body, http.StatusForbidden)
		for _, role := range []auth.Role{auth.FinancePreparer, auth.FinanceApprover, auth.Admin} {
			code, body := try(string(role), h.tokens[role])
			allowed := access.roles == nil || slices.Contains(access.roles, role)
			switch {
			case allowed && (code == 401 || code == 403):
				t.Errorf("%s as %s = %d, but the role is allowed: %s", pattern, role, code, body)
			case !allowed:
				refused(string(role), code, body, http.StatusForbidden)
			}
		}
	}
}

// TestRolesOfFinanceRoutes pins the rules the route walk checks against, so a
// loosened role list is a visible change.
func TestRolesOfFinanceRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := map[string][]auth.Role{
		"GET /api/v1/openapi.yaml":                 financeReaders, // public; roles unused
		"GET /api/v1/waybills":                     financeReaders,
		"POST /api/v1/imports":                     preparers,
		"POST /api/v1/reconciliations":             preparers,
		"POST /api/v1/disputes/{id}/credits":       preparers,
		"POST /api/v1/periods/{period}/prepare":    preparers,
		"POST /api/v1/periods/{period}/approve":    approvers,
		"POST /api/v1/tariffs":                     {auth.FinanceApprover, auth.Admin},
		"GET /api/v1/quarantine":                   admins,
		"POST /api/v1/quarantine/{id}/replay":      admins,
		"GET /api/v1/audit":                        {auth.FinanceApprover, auth.Admin},
		"GET /api/v1/audit/verify":                 {auth.FinanceApprover, auth.Admin},
		"GET /api/v1/periods/{period}/allocations": financeReaders,
	}
	for pattern, roles := range want {
		a, ok := h.n.access[pattern]
		switch {
		case !ok:
			t.Errorf("%s is not routed", pattern)
		case pattern == "GET /api/v1/openapi.yaml":
			if !a.public {
				t.Errorf("%s should be public", pattern)
			}
		case a.public || !slices.Equal(a.roles, roles):
			t.Errorf("%s open to %v (public %v), want %v", pattern, a.roles, a.public, roles)
		}
	}
	if !h.n.access["POST /api/v1/login"].public {
		t.Error("login is not public")
	}
	for pattern, a := range h.n.access {
		if a.public && pattern != "POST /api/v1/login" && pattern != "GET /api/v1/openapi.yaml" {
			t.Errorf("%s is public", pattern)
		}
	}
}

// TestMakerChecker: a preparer promoted to approver still cannot approve the close
// they prepared themselves, while another approver can; the audit log names both.
func TestMakerChecker(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	srv := httptest.NewServer(h.n.Handler())
	defer srv.Close()
	dave := h.staff(t, "dave", auth.FinancePreparer)
	if code, c := call(t, srv, "POST", "/api/v1/periods/2025-03/prepare", dave, ""); code != 200 || c["prepared_by"] != "dave" {
		t.Fatalf("prepare: %d %v", code, c)
	}
	if code, p := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", dave, ""); code != 403 || p["type"] != problemBase+"forbidden" {
		t.Fatalf("a preparer approving: %d %v", code, p)
	}
	// Dave is promoted. A fresh token carries the new role.
	var id uuid.UUID
	if err := h.n.db.QueryRow(ctx, `UPDATE staff_users SET role = 'finance_approver' WHERE username = 'dave' RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	promoted := h.token(t, id, "dave", auth.FinanceApprover)
	code, p := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", promoted, "")
	if code != 403 || p["type"] != problemBase+"maker-checker" || p["detail_zh"] == "" {
		t.Fatalf("the same person approving their own close: %d %v", code, p)
	}
	if code, c := call(t, srv, "GET", "/api/v1/periods/2025-03", promoted, ""); code != 200 || c["status"] != "prepared" {
		t.Fatalf("after the refused approval: %d %v", code, c)
	}
	if code, c := call(t, srv, "POST", "/api/v1/periods/2025-03/approve", h.tokens[auth.FinanceApprover], ""); code != 200 || c["approved_by"] != "bob" {
		t.Fatalf("another approver: %d %v", code, c)
	}
	es, err := h.n.AuditLog(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range es {
		if strings.HasPrefix(e.Action, "close.") {
			trail = append(trail, e.Action+":"+e.Actor)
		}
	}
	if strings.Join(trail, ",") != "close.prepare:dave,close.approve:bob" {
		t.Fatalf("audit trail of the close: %v", trail)
	}
}

// TestLoginAudited: a session login works at the centre, a wrong password and a
// hall clerk's account are refused, and each attempt lands in the hash-chained log.
func TestLoginAudited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := httptest.NewServer(h.n.Handler())
	defer srv.Close()
	login := func(user, pw string) (int, map[string]any) {
		return call(t, srv, "POST", "/api/v1/login", "", `{"username":"`+user+`","password":"`+pw+`"}`)
	}
	if code, p := login("alice", "wrong password 1"); code != 401 || p["type"] != problemBase+"bad-credentials" {
		t.Fatalf("wrong password: %d %v", code, p)
	}
	if code, _ := login("alice", "test password 1"); code != 200 {
		t.Fatalf("login: %d", code)
	}
	if code, _ := login("system:cron", "x"); code != 401 {
		t.Fatalf("login as the job: %d", code)
	}
	es, err := h.n.AuditLog(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, e := range es {
		if e.Action == "login" {
			logins = append(logins, e.Actor+":"+strconv.Quote(e.Detail))
		}
	}
	joined := strings.Join(logins, "\n")
	if len(logins) != 3 || !strings.Contains(logins[0], "bad_password") || !strings.HasPrefix(logins[2], "invalid-username:") || strings.Contains(joined, "system:") {
		t.Fatalf("login audit: %s", joined)
	}
	if v, _ := h.n.VerifyAudit(context.Background()); !v.OK {
		t.Fatalf("chain: %+v", v)
	}
}
