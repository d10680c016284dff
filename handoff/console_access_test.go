package handoff

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
	"github.com/tongban/tongban/internal/web"
)

// consoleLogin logs username in through the console's form and returns its cookies
// and CSRF token.
func consoleLogin(t testing.TB, h *testHall, username, password string) (*http.Cookie, string) {
	t.Helper()
	sess, err := h.Auth().Login(context.Background(), username, password, "", "test-"+uuid.NewString())
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return &http.Cookie{Name: h.Auth().CookieName(), Value: sess.Token}, sess.CSRF
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestConsolePagesCheckWhoCalls walks every console page read from the console's own
// registration list: without a session (303 to the login page), with each hall role
// (allowed, or a 403 page), and with finance staff and another city's clerk (403),
// and checks that no refusal shows case data.
func TestConsolePagesCheckWhoCalls(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	id, caseNo := acceptCase(t, a)
	ctx := context.Background()
	c := consoleOf(a.Node)
	if c == nil || len(c.List) < 25 {
		t.Fatalf("console registered %v", c)
	}
	const pw = "console password 1"
	sessions := map[string][2]string{}
	for _, r := range []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Supervisor, auth.Admin} {
		name := "console-" + strings.ReplaceAll(string(r), "_", "-")
		if _, err := a.Auth().CreateUser(ctx, auth.NewUser{Username: name, Name: "测试", Role: r, Hall: gz, Password: pw}); err != nil {
			t.Fatal(err)
		}
		ck, csrf := consoleLogin(t, a, name, pw)
		sessions[string(r)] = [2]string{ck.Value, csrf}
	}
	for name, row := range map[string][2]string{"finance": {"finance_preparer", auth.Centre}, "other-city": {"window_clerk", fs}} {
		hash, _ := authkit.HashPassword(pw)
		if _, err := a.opt.DB.Exec(ctx, `INSERT INTO staff_users (id, username, display_name, role, hall, password_hash)
			VALUES ($1, $2, 'x', $3, $4, $5)`, uuid.Must(uuid.NewV7()), "intruder-"+name, row[0], row[1], hash); err != nil {
			t.Fatal(err)
		}
		ck, csrf := consoleLogin(t, a, "intruder-"+name, pw)
		sessions[name] = [2]string{ck.Value, csrf}
	}

	pages := slices.Clone(c.List)
	// Logging out ends the session the walk uses, so it goes last.
	slices.SortStableFunc(pages, func(x, y web.Route) int {
		return strings.Compare(fmt.Sprint(x.Pattern == "POST /console/logout"), fmt.Sprint(y.Pattern == "POST /console/logout"))
	})
	for _, pg := range pages {
		method, path, _ := strings.Cut(pg.Pattern, " ")
		u := strings.NewReplacer("{id}", id, "{code}", "NOPE", "{file}", "nope.css", "{$}", "").Replace(path)
		try := func(who string) (int, string, string) {
			form := url.Values{}
			var body io.Reader
			if method == http.MethodPost {
				if s, ok := sessions[who]; ok {
					form.Set("csrf_token", s[1])
				}
				body = strings.NewReader(form.Encode())
			}
			req, _ := http.NewRequest(method, a.base+u, body)
			if method == http.MethodPost {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if s, ok := sessions[who]; ok {
				req.AddCookie(&http.Cookie{Name: a.Auth().CookieName(), Value: s[0]})
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
			if strings.Contains(body, caseNo) || strings.Contains(body, "陈") {
				t.Errorf("%s as %s leaked case data in a refusal", pg.Pattern, who)
			}
		}
		if pg.Public {
			continue
		}
		code, loc, body := try("nobody")
		refused("nobody", code, body, http.StatusSeeOther)
		if !strings.HasPrefix(loc, "/console/login") {
			t.Errorf("%s without a session goes to %q, want the login page", pg.Pattern, loc)
		}
		for _, who := range []string{"finance", "other-city"} {
			code, _, body := try(who)
			refused(who, code, body, http.StatusForbidden)
		}
		for _, role := range []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Supervisor, auth.Admin} {
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

// TestConsoleRefusesPostsWithoutCSRF: a page post without the CSRF field is refused.
func TestConsoleRefusesPostsWithoutCSRF(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	id, _ := acceptCase(t, a)
	ck, _ := consoleLogin(t, a, "window_clerk-"+gz, "test password 1")
	sessions := map[string][2]string{string(auth.WindowClerk): {ck.Value, ""}}
	req, _ := http.NewRequest("POST", a.base+"/console/cases/"+id+"/package", strings.NewReader("seal_no=X1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: a.Auth().CookieName(), Value: sessions[string(auth.WindowClerk)][0]})
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("post without CSRF = %d, want 403", resp.StatusCode)
	}
}
