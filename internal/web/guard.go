package web

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/tongban/tongban/internal/auth"
)

// Problem is an error as the visitor is told it: status, a stable type slug, and the
// detail in both languages. Nodes map their errors to it (and RFC 9457 problem
// documents from an API decode into it with ProblemFromJSON).
type Problem struct {
	Status int
	Type   string
	ZH, EN string
	Field  string
}

// Authenticator resolves the caller of a request; auth.Service.Authenticate is one.
type Authenticator func(r *http.Request) (*http.Request, error)

// PageFunc is a page handler; an error it returns is shown with Site.Problem.
type PageFunc func(w http.ResponseWriter, r *http.Request) error

// Guard wraps a page open to roles (nil: anyone logged in). A visitor without a
// session, or whose session has ended, is sent to the login page with 303 and comes
// back after logging in; a wrong role or a missing CSRF token gets a 403 page that
// says why and shows nothing of the page.
func (s *Site) Guard(authn Authenticator, roles []auth.Role, h PageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r, err := authn(r)
		if errors.Is(err, auth.ErrUnauthenticated) {
			s.clearSession(w, r)
			s.toLogin(w, r, true)
			return
		}
		if err == nil {
			p, _ := auth.FromContext(r.Context())
			if p == nil {
				s.toLogin(w, r, false)
				return
			}
			err = auth.Allowed(p, roles)
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.Fail(w, r, err)
		}
	}
}

func (s *Site) toLogin(w http.ResponseWriter, r *http.Request, expired bool) {
	q := url.Values{}
	if r.Method == http.MethodGet && s.LocalPath(r.URL.RequestURI()) {
		q.Set("next", r.URL.RequestURI())
	}
	if expired {
		q.Set("expired", "1")
	}
	to := s.opt.Prefix + "/login"
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// Fail shows err as an error page with the right status.
func (s *Site) Fail(w http.ResponseWriter, r *http.Request, err error) {
	s.ShowProblem(w, r, s.problemOf(err))
}

func (s *Site) problemOf(err error) Problem {
	if status, slug, en, zh, ok := auth.Problem(err); ok {
		return Problem{Status: status, Type: slug, ZH: zh, EN: en}
	}
	if s.opt.Problem != nil {
		p := s.opt.Problem(err)
		if p.Status >= 500 {
			s.opt.Log.Error("web: page failed", slog.String("err", err.Error()))
		}
		return p
	}
	s.opt.Log.Error("web: page failed", slog.String("err", err.Error()))
	return Problem{Status: http.StatusInternalServerError, Type: "internal", ZH: baseDict["error.internal"][0], EN: baseDict["error.internal"][1]}
}

// ShowProblem renders the error page for p. The page names the problem and offers a
// way back; it never echoes the record the visitor was refused.
func (s *Site) ShowProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	switch p.Type {
	case "forbidden", "wrong-hall":
		p.ZH, p.EN = s.dict.Text(ZH, "error.forbidden"), s.dict.Text(EN, "error.forbidden")
	case "csrf":
		p.ZH, p.EN = s.dict.Text(ZH, "error.csrf"), s.dict.Text(EN, "error.csrf")
	case "internal":
		p.ZH, p.EN = s.dict.Text(ZH, "error.internal"), s.dict.Text(EN, "error.internal")
	}
	s.Render(w, r, p.Status, "error", "error.title", p)
}

// Problem turns err into a bilingual message for a flash or an inline error.
func (s *Site) ProblemMsg(err error) Msg {
	p := s.problemOf(err)
	return Msg{Kind: "error", ZH: p.ZH, EN: p.EN}
}

func (s *Site) clearSession(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(s.cookie()); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
}
