package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tongban/tongban/internal/auth"
)

func testSite(t *testing.T) *Site {
	t.Helper()
	s, err := New(Options{Prefix: "/console", NodeZH: "测试大厅", NodeEN: "Test hall",
		Nav: []NavItem{{Key: "app.name", Href: "/console/x", Roles: []auth.Role{auth.Supervisor}}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGuardSendsAnonymousToLoginAndRefusesRoles(t *testing.T) {
	s := testSite(t)
	anon := func(r *http.Request) (*http.Request, error) { return r, nil }
	as := func(role auth.Role) Authenticator {
		return func(r *http.Request) (*http.Request, error) {
			return r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Username: "u", Name: "用户", Role: role, CSRF: "tok"})), nil
		}
	}
	ok := func(w http.ResponseWriter, r *http.Request) error { w.WriteHeader(204); return nil }
	roles := []auth.Role{auth.Supervisor}

	w := httptest.NewRecorder()
	s.Guard(anon, roles, ok)(w, httptest.NewRequest("GET", "/console/x?a=1", nil))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console/login?next=%2Fconsole%2Fx%3Fa%3D1" {
		t.Fatalf("anonymous: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = httptest.NewRecorder()
	s.Guard(func(r *http.Request) (*http.Request, error) { return r, auth.ErrUnauthenticated }, roles, ok)(w, httptest.NewRequest("GET", "/console/x", nil))
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "expired=1") {
		t.Fatalf("ended session: %d %s", w.Code, w.Header().Get("Location"))
	}
	w = httptest.NewRecorder()
	s.Guard(as(auth.WindowClerk), roles, ok)(w, httptest.NewRequest("GET", "/console/x", nil))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "您的角色无权访问此页面") {
		t.Fatalf("wrong role: %d %s", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	s.Guard(as(auth.Supervisor), roles, ok)(w, httptest.NewRequest("GET", "/console/x", nil))
	if w.Code != 204 {
		t.Fatalf("allowed role: %d", w.Code)
	}
}

func TestLayoutLanguageFlashAndCSRF(t *testing.T) {
	s := testSite(t)
	p := &auth.Principal{Username: "u", Name: "王五", Role: auth.Supervisor, CSRF: "tok<&>"}
	req := func(lang string) *http.Request {
		r := httptest.NewRequest("GET", "/console/x", nil)
		if lang != "" {
			r.AddCookie(&http.Cookie{Name: LangCookie, Value: lang})
		}
		return r.WithContext(auth.WithPrincipal(context.Background(), p))
	}
	w := httptest.NewRecorder()
	s.Render(w, req(""), 200, "error", "error.title", Problem{Status: 409, ZH: "中文说明", EN: "English detail"})
	body := w.Body.String()
	for _, want := range []string{`lang="zh-CN"`, "中文说明", "测试大厅", "电子监察", `value="tok&lt;&amp;&gt;"`, "/console/assets/console.", `href="/console/x"`} {
		if !strings.Contains(body, want) {
			t.Errorf("chinese page lacks %q", want)
		}
	}
	w = httptest.NewRecorder()
	s.Render(w, req("en"), 200, "error", "error.title", Problem{Status: 409, ZH: "中文说明", EN: "English detail"})
	if body := w.Body.String(); !strings.Contains(body, "English detail") || !strings.Contains(body, "Supervisor") || strings.Contains(body, "中文说明") {
		t.Errorf("english page: %s", body)
	}

	w = httptest.NewRecorder()
	s.Flash(w, req(""), s.Msg("ok", "login.welcome", "王五"))
	r := req("en")
	for _, c := range w.Result().Cookies() {
		r.AddCookie(c)
	}
	w = httptest.NewRecorder()
	s.Render(w, r, 200, "error", "error.title", Problem{})
	if !strings.Contains(w.Body.String(), "Welcome, 王五") {
		t.Errorf("flash not shown in English")
	}
}

func TestAssetsAreHashedAndCachedLong(t *testing.T) {
	s := testSite(t)
	u := s.AssetURL("console.css")
	if !regexp.MustCompile(`^/console/assets/console\.[0-9a-f]{10}\.css$`).MatchString(u) {
		t.Fatalf("asset url %s", u)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(s.AssetPattern(), s.Assets)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", u, nil))
	if w.Code != 200 || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("asset: %d %v", w.Code, w.Header())
	}
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/console/assets/console.css", nil))
	if w.Code != 404 {
		t.Fatalf("unhashed name served: %d", w.Code)
	}
}

func TestLangSwitchStaysInsideTheConsole(t *testing.T) {
	s := testSite(t)
	for back, want := range map[string]string{"/console/cases?q=1": "/console/cases?q=1", "https://evil.example/": "/console/", "//evil": "/console/"} {
		w := httptest.NewRecorder()
		s.LangHandler(w, httptest.NewRequest("GET", "/console/lang?to=en&back="+strings.ReplaceAll(back, "?", "%3F"), nil))
		if w.Code != 303 || w.Header().Get("Location") != want {
			t.Errorf("back %s: %d %s", back, w.Code, w.Header().Get("Location"))
		}
	}
}

// TestTemplatesUseTheDictionary: no Chinese typed into a template; every string goes
// through the dictionary, which has both languages for every key.
func TestTemplatesUseTheDictionary(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	for _, dir := range []string{"templates", "../../handoff/templates/console"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(dir + "/" + e.Name())
			if han.Match(b) {
				t.Errorf("%s/%s has Chinese text outside the dictionary", dir, e.Name())
			}
		}
	}
	if miss := baseDict.Missing(); len(miss) > 0 {
		t.Fatalf("keys without both languages: %v", miss)
	}
}
