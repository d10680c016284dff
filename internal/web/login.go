package web

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/tongban/tongban/internal/auth"
)

type loginView struct {
	Username string
	Next     string
	Error    *Msg
	Expired  bool
}

// LoginPage serves GET and POST {prefix}/login with svc: the form, then the session
// cookie and a redirect to where the visitor was going. Lockout and rate limits are
// the service's; the page only says which one applied.
func (s *Site) LoginPage(svc *auth.Service) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next := r.FormValue("next")
		if !s.LocalPath(next) {
			next = ""
		}
		if r.Method != http.MethodPost {
			s.Render(w, r, http.StatusOK, "login", "login.title", loginView{Next: next, Expired: r.URL.Query().Get("expired") != ""})
			return
		}
		user := strings.TrimSpace(r.PostFormValue("username"))
		sess, err := svc.Login(r.Context(), user, r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("code")), clientAddr(r))
		if err != nil {
			key, status := "login.bad", http.StatusUnauthorized
			switch {
			case errors.Is(err, auth.ErrLocked):
				key, status = "login.locked", http.StatusLocked
			case errors.Is(err, auth.ErrRateLimited):
				key, status = "login.rate", http.StatusTooManyRequests
			case errors.Is(err, auth.ErrSecondFactor):
				key = "login.second"
			case errors.Is(err, auth.ErrBadCredentials):
			default:
				s.Fail(w, r, err)
				return
			}
			m := s.Msg("error", key)
			s.Render(w, r, status, "login", "login.title", loginView{Username: user, Next: next, Error: &m})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: svc.CookieName(), Value: sess.Token, Path: "/", Expires: sess.Expires,
			HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
		s.Flash(w, r, s.Msg("ok", "login.welcome", sess.User.Name))
		to := next
		if to == "" {
			to = s.home(&auth.Principal{Role: sess.User.Role, Username: sess.User.Username, Hall: sess.User.Hall})
		}
		s.Redirect(w, r, to)
	}
}

func (s *Site) home(p *auth.Principal) string {
	if s.opt.Home != nil {
		if h := s.opt.Home(p); h != "" {
			return h
		}
	}
	return s.opt.Prefix + "/"
}

// Home is where p lands after logging in.
func (s *Site) Home(p *auth.Principal) string { return s.home(p) }

// LogoutPage ends the session (POST with the CSRF field, behind Guard) and goes to
// the login page.
func (s *Site) LogoutPage(svc *auth.Service) PageFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, _ := auth.FromContext(r.Context())
		if err := svc.Logout(r.Context(), p); err != nil {
			return err
		}
		http.SetCookie(w, &http.Cookie{Name: svc.CookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
		s.Flash(w, r, s.Msg("ok", "logout.done"))
		s.Redirect(w, r, s.opt.Prefix+"/login")
		return nil
	}
}

// clientAddr is the direct peer, the key of the login rate limit.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ProblemFromJSON reads an RFC 9457 problem document with Tongban's detail_zh, for
// pages that relay an API's refusal.
func ProblemFromJSON(status int, body []byte) Problem {
	var d struct {
		Type     string `json:"type"`
		Status   int    `json:"status"`
		Detail   string `json:"detail"`
		DetailZH string `json:"detail_zh"`
		Field    string `json:"field"`
	}
	if json.Unmarshal(body, &d) != nil || d.Detail == "" {
		return Problem{Status: status, Type: "internal", ZH: baseDict["error.internal"][0], EN: baseDict["error.internal"][1]}
	}
	if d.Status == 0 {
		d.Status = status
	}
	zh := d.DetailZH
	if zh == "" {
		zh = d.Detail
	}
	return Problem{Status: d.Status, Type: d.Type[strings.LastIndex(d.Type, "/")+1:], ZH: zh, EN: d.Detail, Field: d.Field}
}
