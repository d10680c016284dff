package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/authkit"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/internal/pii"
)

func TestMain(m *testing.M) {
	authkit.SetTestParams() // cheap hashes; production parameters are tested in authkit
	pgtest.Main(m)
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) record(_ context.Context, actor string, _ Role, action, _, outcome string, _ map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, actor+" "+action+" "+outcome)
}

func newService(t *testing.T) (*Service, *fakeClock, *events) {
	t.Helper()
	keys, err := pii.NewAESKeyring("k1", map[string][]byte{"k1": pii.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	ev := &events{}
	s := New(Options{DB: pgtest.New(t, Migrations()), Scope: "440100", Cipher: keys, Audit: ev.record, Clock: clk.now})
	return s, clk, ev
}

const pw = "correct horse battery"

func TestLoginLockoutAndAudit(t *testing.T) {
	t.Parallel()
	s, clk, ev := newService(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, NewUser{Username: "clerk.li", Name: "李", Role: WindowClerk, Hall: "440100", Password: pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "clerk.li", pw, "", "10.0.0.1"); err != nil {
		t.Fatalf("good login: %v", err)
	}
	if _, err := s.Login(ctx, "nobody", pw, "", "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	for i := 0; i < 4; i++ {
		if _, err := s.Login(ctx, "clerk.li", "wrong password!", "", "10.0.0.2"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := s.Login(ctx, "clerk.li", "wrong password!", "", "10.0.0.2"); !errors.Is(err, ErrLocked) {
		t.Fatalf("fifth failure should lock: %v", err)
	}
	if _, err := s.Login(ctx, "clerk.li", pw, "", "10.0.0.3"); !errors.Is(err, ErrLocked) {
		t.Fatalf("right password while locked: %v", err)
	}
	clk.add(16 * time.Minute)
	if _, err := s.Login(ctx, "clerk.li", pw, "", "10.0.0.3"); err != nil {
		t.Fatalf("after the lock ran out: %v", err)
	}
	joined := strings.Join(ev.got, "\n")
	for _, want := range []string{"clerk.li login ok", "nobody login unknown_user", "clerk.li login bad_password", "clerk.li login locked"} {
		if !strings.Contains(joined, want) {
			t.Errorf("audit lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, pw) {
		t.Fatal("a password reached the audit trail")
	}
}

func TestRateLimitPerClient(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := context.Background()
	var limited bool
	for i := 0; i < 30; i++ {
		if _, err := s.Login(ctx, "ghost", "whatever password", "", "10.9.9.9"); errors.Is(err, ErrRateLimited) {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("30 attempts from one address were never rate limited")
	}
}

func TestSessionCookieCSRFAndWrongHall(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := context.Background()
	s.CreateUser(ctx, NewUser{Username: "staff.wang", Name: "王", Role: HallStaff, Hall: "440100", Password: pw})
	sess, err := s.Login(ctx, "staff.wang", pw, "", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	req := func(method, csrf string) (*http.Request, error) {
		r := httptest.NewRequest(method, "/api/v1/x", nil)
		r.AddCookie(&http.Cookie{Name: s.CookieName(), Value: sess.Token})
		if csrf != "" {
			r.Header.Set("X-CSRF-Token", csrf)
		}
		return s.Authenticate(r)
	}
	if r, err := req("GET", ""); err != nil {
		t.Fatal(err)
	} else if p, ok := FromContext(r.Context()); !ok || p.Username != "staff.wang" {
		t.Fatal("session did not authenticate a GET")
	}
	if _, err := req("POST", ""); !errors.Is(err, ErrCSRF) {
		t.Fatalf("POST without CSRF token: %v", err)
	}
	if _, err := req("POST", "forged"); !errors.Is(err, ErrCSRF) {
		t.Fatalf("POST with a wrong CSRF token: %v", err)
	}
	if _, err := req("POST", sess.CSRF); err != nil {
		t.Fatalf("POST with the CSRF token: %v", err)
	}
	// The same account presented to another hall's node is refused.
	other := New(Options{DB: s.opt.DB, Scope: "440600", Clock: s.opt.Clock})
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: other.CookieName(), Value: sess.Token})
	if _, err := other.Authenticate(r); !errors.Is(err, ErrWrongHall) {
		t.Fatalf("wrong hall: %v", err)
	}
	rec := httptest.NewRecorder()
	http.SetCookie(rec, s.cookie(sess.Token, sess.Expires))
	c := rec.Header().Get("Set-Cookie")
	if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") {
		t.Fatalf("cookie flags: %s", c)
	}
}

func TestTokensScopedAndRevocable(t *testing.T) {
	t.Parallel()
	s, clk, _ := newService(t)
	ctx := context.Background()
	u, _ := s.CreateUser(ctx, NewUser{Username: "robot", Name: "接口", Role: WindowClerk, Hall: "440100", Password: pw})
	owner := &Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Hall: u.Hall}
	readTok, info, err := s.CreateToken(ctx, owner, "reader", []string{ScopeRead}, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeTok, _, _ := s.CreateToken(ctx, owner, "writer", []string{ScopeWrite}, time.Hour)
	auth := func(method, tok string) error {
		r := httptest.NewRequest(method, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		_, err := s.Authenticate(r)
		return err
	}
	if err := auth("GET", readTok); err != nil {
		t.Fatal(err)
	}
	if err := auth("POST", readTok); !errors.Is(err, ErrForbidden) {
		t.Fatalf("read token writing: %v", err)
	}
	if err := auth("POST", writeTok); err != nil {
		t.Fatalf("write token: %v", err)
	}
	if err := s.RevokeToken(ctx, owner, info.ID); err != nil {
		t.Fatal(err)
	}
	if err := auth("GET", readTok); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}
	clk.add(2 * time.Hour)
	if err := auth("POST", writeTok); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("expired token: %v", err)
	}
	var stored int
	s.opt.DB.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE hash = $1 OR id = $1`, readTok).Scan(&stored)
	if stored != 0 {
		t.Fatal("a token is stored in clear")
	}
}

func TestTOTPSecondFactor(t *testing.T) {
	t.Parallel()
	s, clk, _ := newService(t)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, NewUser{Username: "admin", Name: "管理员", Role: Admin, Hall: "440100", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	p := &Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Hall: u.Hall}
	e, err := s.EnrollTOTP(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := authkit.TOTPCode(e.Secret, clk.now())
	if err := s.ConfirmTOTP(ctx, p, code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "admin", pw, "", "10.0.0.1"); !errors.Is(err, ErrSecondFactor) {
		t.Fatalf("login without the code: %v", err)
	}
	code, _ = authkit.TOTPCode(e.Secret, clk.now())
	if _, err := s.Login(ctx, "admin", pw, code, "10.0.0.1"); err != nil {
		t.Fatalf("login with the code: %v", err)
	}
	if _, err := s.Login(ctx, "admin", pw, code, "10.0.0.1"); !errors.Is(err, ErrSecondFactor) {
		t.Fatalf("the same code twice: %v", err)
	}
	var sealed []byte
	s.opt.DB.QueryRow(ctx, `SELECT totp_secret FROM staff_users WHERE username = 'admin'`).Scan(&sealed)
	if strings.Contains(string(sealed), e.Secret) {
		t.Fatal("the TOTP secret is stored in clear")
	}
	clerk := &Principal{Role: WindowClerk}
	if _, err := s.EnrollTOTP(ctx, clerk); !errors.Is(err, ErrForbidden) {
		t.Fatal("a clerk was offered TOTP")
	}
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	cases := []struct {
		u     NewUser
		field string
	}{
		{NewUser{Username: "A B", Name: "x", Role: WindowClerk, Hall: "440100", Password: pw}, "username"},
		{NewUser{Username: "ok1", Name: "x", Role: "boss", Hall: "440100", Password: pw}, "role"},
		{NewUser{Username: "ok2", Name: "x", Role: FinancePreparer, Hall: "440100", Password: pw}, "hall"},
		{NewUser{Username: "ok3", Name: "x", Role: WindowClerk, Hall: "440600", Password: pw}, "hall"},
		{NewUser{Username: "ok4", Name: "x", Role: WindowClerk, Hall: "440100", Password: "short"}, "password"},
	}
	for _, c := range cases {
		_, err := s.CreateUser(context.Background(), c.u)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%+v: %v, want a problem with %s", c.u, err, c.field)
		}
	}
}
