package auth

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"
)

// Handler is an HTTP handler that returns its error for the node to render.
type Handler func(w http.ResponseWriter, r *http.Request) error

// Route is an endpoint of this package, with who may call it: Public routes need no
// login; otherwise Roles (nil: any logged-in staff).
type Route struct {
	Pattern string
	Public  bool
	Roles   []Role
	Handle  Handler
}

// Routes are the login, session, token and account endpoints every node serves.
func (s *Service) Routes() []Route {
	return []Route{
		{Pattern: "POST /api/v1/login", Public: true, Handle: s.postLogin},
		{Pattern: "POST /api/v1/logout", Handle: s.postLogout},
		{Pattern: "GET /api/v1/me", Handle: s.getMe},
		{Pattern: "POST /api/v1/me/totp", Roles: []Role{FinancePreparer, FinanceApprover, Admin}, Handle: s.postTOTP},
		{Pattern: "POST /api/v1/me/totp/confirm", Roles: []Role{FinancePreparer, FinanceApprover, Admin}, Handle: s.postTOTPConfirm},
		{Pattern: "GET /api/v1/tokens", Handle: s.getTokens},
		{Pattern: "POST /api/v1/tokens", Handle: s.postToken},
		{Pattern: "DELETE /api/v1/tokens/{id}", Handle: s.deleteToken},
		{Pattern: "GET /api/v1/users", Roles: []Role{Admin}, Handle: s.getUsers},
		{Pattern: "POST /api/v1/users", Roles: []Role{Admin}, Handle: s.postUser},
		{Pattern: "POST /api/v1/users/{username}/disable", Roles: []Role{Admin}, Handle: s.postDisable},
		{Pattern: "POST /api/v1/users/{username}/unlock", Roles: []Role{Admin}, Handle: s.postUnlock},
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &InputError{"body", "请求内容不是有效的 JSON", "the body is not valid JSON for this request"}
	}
	return nil
}

// clientAddr is the caller's address for rate limiting (the direct peer: a proxy in
// front must be trusted explicitly, which this node does not do).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Service) postLogin(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		req.Username, req.Password, req.Code = r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("code")
	} else if err := decode(r, &req); err != nil {
		return err
	}
	sess, err := s.Login(r.Context(), req.Username, req.Password, req.Code, clientAddr(r))
	if err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(sess.Token, sess.Expires))
	return writeJSON(w, http.StatusOK, sess)
}

// cookie is the session cookie: HttpOnly so scripts cannot read it, SameSite=Strict
// so other sites cannot ride on it, Secure behind TLS.
func (s *Service) cookie(value string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: s.CookieName(), Value: value, Path: "/", Expires: expires, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.opt.SecureCookies}
}

func (s *Service) postLogout(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	if err := s.Logout(r.Context(), p); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie("", time.Unix(1, 0)))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getMe(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	out := map[string]any{"user": p}
	if p.Via == "session" {
		out["csrf_token"] = p.CSRF
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) postTOTP(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	e, err := s.EnrollTOTP(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (s *Service) postTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	var req struct {
		Code string `json:"code"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.ConfirmTOTP(r.Context(), p, req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getTokens(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	ts, err := s.Tokens(r.Context(), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

func (s *Service) postToken(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	var req struct {
		Name     string   `json:"name"`
		Scopes   []string `json:"scopes"`
		TTLHours int      `json:"ttl_hours"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	secret, t, err := s.CreateToken(r.Context(), p, req.Name, req.Scopes, time.Duration(req.TTLHours)*time.Hour)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"token": secret, "info": t})
}

func (s *Service) deleteToken(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	if err := s.RevokeToken(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Users(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"users": us})
}

func (s *Service) postUser(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	var req NewUser
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := s.CreateUser(r.Context(), req)
	if err != nil {
		return err
	}
	s.opt.Audit(r.Context(), p.Username, p.Role, "user.create", u.Username, "ok", map[string]any{"role": u.Role})
	return writeJSON(w, http.StatusCreated, u)
}

func (s *Service) postDisable(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	name := r.PathValue("username")
	if name == p.Username {
		return &InputError{"username", "不能停用自己的账号", "you cannot disable your own account"}
	}
	if err := s.SetDisabled(r.Context(), name, true); err != nil {
		return err
	}
	s.opt.Audit(r.Context(), p.Username, p.Role, "user.disable", name, "ok", nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) postUnlock(w http.ResponseWriter, r *http.Request) error {
	p, _ := FromContext(r.Context())
	name := r.PathValue("username")
	if err := s.Unlock(r.Context(), name); err != nil {
		return err
	}
	s.opt.Audit(r.Context(), p.Username, p.Role, "user.unlock", name, "ok", nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// IsNotFound reports whether err means the account or token does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
