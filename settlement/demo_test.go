package settlement

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
)

// TestDemoUsersAndSecondFactor: the demo's centre accounts are made once and can log
// in; an approver who enrols TOTP (its secret sealed with the node's data key) then
// needs the code to log in.
func TestDemoUsersAndSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	const pw = "demo password 2026"
	for range 2 { // a restarted demo keeps its accounts
		users, err := DemoUsers(ctx, h.n.Auth(), pw)
		if err != nil || len(users) != 3 {
			t.Fatalf("demo users: %v %v", users, err)
		}
	}
	srv := httptest.NewServer(h.n.Handler())
	defer srv.Close()
	login := func(user, code string) int {
		c, _ := call(t, srv, "POST", "/api/v1/login", "", `{"username":"`+user+`","password":"`+pw+`","code":"`+code+`"}`)
		return c
	}
	for _, u := range []string{"preparer.centre", "approver.centre", "admin.centre"} {
		if c := login(u, ""); c != 200 {
			t.Fatalf("%s logs in: %d", u, c)
		}
	}
	var id auth.User
	users, _ := h.n.Auth().Users(ctx)
	for _, u := range users {
		if u.Username == "approver.centre" {
			id = u
		}
	}
	tok := h.token(t, id.ID, id.Username, auth.FinanceApprover)
	code, e := call(t, srv, "POST", "/api/v1/me/totp", tok, "")
	if code != 200 || e["secret"] == nil {
		t.Fatalf("enrol: %d %v", code, e)
	}
	secret := e["secret"].(string)
	first, _ := authkit.TOTPCode(secret, h.clock.Now())
	if code, p := call(t, srv, "POST", "/api/v1/me/totp/confirm", tok, `{"code":"`+first+`"}`); code != 204 {
		t.Fatalf("confirm: %d %v", code, p)
	}
	var sealed []byte
	if err := h.n.db.QueryRow(ctx, `SELECT totp_secret FROM staff_users WHERE username = 'approver.centre'`).Scan(&sealed); err != nil || len(sealed) == 0 || string(sealed) == secret {
		t.Fatalf("TOTP secret at rest: %v", err)
	}
	h.clock.Set(h.clock.Now().Add(time.Minute))
	if c := login("approver.centre", ""); c != 401 {
		t.Fatalf("login without the code: %d", c)
	}
	next, _ := authkit.TOTPCode(secret, h.clock.Now())
	if c := login("approver.centre", next); c != 200 {
		t.Fatalf("login with the code: %d", c)
	}
}
