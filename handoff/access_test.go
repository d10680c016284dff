package handoff

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
)

// TestEveryRouteChecksWhoCalls walks every route read from the router itself, so a
// new route cannot be missed, with no credentials, with each role, with finance staff,
// and with an account of another hall. It asserts 401 or 403 where the rules say so,
// and that refused answers carry no case data.
func TestEveryRouteChecksWhoCalls(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	id, caseNo := acceptCase(t, a)
	ctx := context.Background()

	// Accounts that must never get in: finance staff of the centre and a clerk of
	// another city, written straight into this hall's database as a compromised
	// administrator might.
	foreign := map[string]string{}
	for name, row := range map[string][2]string{"finance": {"finance_preparer", auth.Centre}, "other-city": {"window_clerk", fs}} {
		uid := uuid.Must(uuid.NewV7())
		hash, _ := authkit.HashPassword("irrelevant password")
		if _, err := a.opt.DB.Exec(ctx, `INSERT INTO staff_users (id, username, display_name, role, hall, password_hash)
			VALUES ($1, $2, 'x', $3, $4, $5)`, uid, "intruder-"+name, row[0], row[1], hash); err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Auth().CreateToken(ctx, &auth.Principal{UserID: uid, Username: "intruder-" + name}, "t", []string{auth.ScopeWrite}, 0)
		if err != nil {
			t.Fatal(err)
		}
		foreign[name] = tok
	}

	routes := a.Routes()
	if len(routes) < 35 {
		t.Fatalf("only %d routes read from the router", len(routes))
	}
	for _, pattern := range routes {
		method, path, _ := strings.Cut(pattern, " ")
		url := strings.NewReplacer("{id}", id, "{aid}", uuid.NewString(), "{code}", "NOPE", "{username}", "nobody").Replace(path)
		access := a.access[pattern]
		try := func(who, bearer string) (int, string) {
			req, _ := http.NewRequest(method, a.base+url, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s as %s: %v", pattern, who, err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return resp.StatusCode, b.String()
		}
		refused := func(who string, code int, body string, want int) {
			if code != want {
				t.Errorf("%s as %s = %d, want %d", pattern, who, code, want)
			}
			if strings.Contains(body, caseNo) || strings.Contains(body, "陈") {
				t.Errorf("%s as %s leaked case data in a refusal", pattern, who)
			}
		}
		if access.public {
			continue
		}
		code, body := try("nobody", "")
		refused("nobody", code, body, http.StatusUnauthorized)
		code, body = try("a bad token", "tbk_0123456789abcdef_notatoken")
		refused("a bad token", code, body, http.StatusUnauthorized)
		for name, tok := range foreign {
			code, body := try(name, tok)
			refused(name, code, body, http.StatusForbidden)
		}
		for _, role := range []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Supervisor, auth.Admin} {
			code, body := try(string(role), a.tokens[role])
			allowed := access.roles == nil || slices.Contains(access.roles, role)
			switch {
			case allowed && (code == 401 || code == 403):
				t.Errorf("%s as %s = %d, but the role is allowed", pattern, role, code)
			case !allowed:
				refused(string(role), code, body, http.StatusForbidden)
			}
		}
	}
}

// TestPersonalDataSealedAtRestAndMasked: the database holds no applicant field in
// clear, screens get the masked form, the window gets the full record from the
// audited endpoint, and search by ID number works through the keyed hash.
func TestPersonalDataSealedAtRestAndMasked(t *testing.T) {
	t.Parallel()
	a, b, _ := newPair(t)
	m, items := firstMatter(t, a)
	app := applicant()
	out := a.must(t, 201, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: app, Materials: items})
	id := out["case"].(map[string]any)["id"].(string)
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)
	for _, h := range []*testHall{a, b} {
		var dump string
		if err := h.opt.DB.QueryRow(context.Background(), `SELECT concat_ws('|', c.applicant::text, encode(c.applicant_sealed, 'escape'), c.id_hash)
			FROM cases c WHERE id = $1`, id).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{app.IDNumber, app.Phone, app.Name, app.Address} {
			if strings.Contains(dump, secret) {
				t.Fatalf("%s stores %q in clear", h.code, secret)
			}
		}
		shown := h.must(t, 200, "GET", "/api/v1/cases/"+id, nil)["applicant"].(map[string]any)
		if shown["id_number"] == app.IDNumber || shown["phone"] == app.Phone {
			t.Fatalf("%s shows the applicant unmasked: %v", h.code, shown)
		}
		full := h.must(t, 200, "GET", "/api/v1/cases/"+id+"/applicant", nil, "As", string(auth.HallStaff))
		if full["id_number"] != app.IDNumber || full["address"] != app.Address {
			t.Fatalf("%s unmasked view: %v", h.code, full)
		}
		if code, _ := h.call(t, "GET", "/api/v1/cases/"+id+"/applicant", nil, "As", string(auth.Supervisor)); code != 403 {
			t.Fatalf("a supervisor got the unmasked applicant: %d", code)
		}
		found := h.must(t, 200, "GET", "/api/v1/cases?id_number="+app.IDNumber, nil)["cases"].([]any)
		if len(found) != 1 {
			t.Fatalf("%s: search by ID number found %d cases", h.code, len(found))
		}
		var views int
		h.opt.DB.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'view_unmasked'`).Scan(&views)
		if views != 1 {
			t.Fatalf("%s audited %d unmasked views, want 1", h.code, views)
		}
	}
	// The package on the wire carries the applicant only sealed.
	for _, msg := range outboxValues(t, a, id) {
		if strings.Contains(string(msg.Value), app.IDNumber) || strings.Contains(string(msg.Value), app.Phone) {
			t.Fatal("a Kafka message carries the applicant in clear")
		}
	}
}

// TestAuditChainCoversMovesAndVerifies: state changes, logins and unmasked views are
// in the hash-chained log, and the verify API reports it intact.
func TestAuditChainCoversMovesAndVerifies(t *testing.T) {
	t.Parallel()
	a, b, _ := newPair(t)
	id, _ := acceptCase(t, a)
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)
	code, _ := a.call(t, "POST", "/api/v1/login", map[string]string{"username": "window_clerk-440100", "password": "wrong password"}, "As", "")
	if code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	eventually(t, "the audit chain to cover every row", func() bool {
		rep := a.must(t, 200, "GET", "/api/v1/audit/verify", nil)
		return rep["OK"] == true && rep["Unchained"] == float64(0) && rep["Checked"].(float64) >= 3
	})
	var actions string
	a.opt.DB.QueryRow(context.Background(), `SELECT string_agg(action || ':' || outcome, ',' ORDER BY seq) FROM audit_log`).Scan(&actions)
	for _, want := range []string{"case.accepted:ok", "case.dispatched:ok", "login:bad_password"} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %s", want, actions)
		}
	}
}
