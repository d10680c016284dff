package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/authkit"
)

// CookieName is the prefix of the session cookie; each node's cookie is named after its
// scope (CookieName + "_440100"), because browsers do not tell ports apart and two halls
// on one host would otherwise log each other's staff out.
const CookieName = "tongban_session"

// CookieName is this node's session cookie.
func (s *Service) CookieName() string { return CookieName + "_" + s.opt.Scope }

// Authenticate resolves the caller from a bearer token or a session cookie and puts
// it in the request's context. A request without credentials passes through without
// a principal (the route decides whether that is allowed); wrong credentials, a
// missing CSRF token on a change, or an account of another hall stop it here.
func (s *Service) Authenticate(r *http.Request) (*http.Request, error) {
	var p *Principal
	var err error
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		p, err = s.byToken(r.Context(), strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")))
		if err == nil && r.Method != http.MethodGet && r.Method != http.MethodHead && !p.canWrite() {
			err = ErrForbidden
		}
	} else if c, cerr := r.Cookie(s.CookieName()); cerr == nil && c.Value != "" {
		p, err = s.bySession(r.Context(), c.Value)
		if err == nil && unsafeMethod(r.Method) && !authkit.EqualTokens(csrfFrom(r), p.CSRF) {
			err = ErrCSRF
		}
	} else {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if p.Hall != s.opt.Scope {
		return r, ErrWrongHall
	}
	return r.WithContext(WithPrincipal(r.Context(), p)), nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// csrfFrom reads the CSRF token from the header scripts send, or the form field a
// plain HTML form posts.
func csrfFrom(r *http.Request) string {
	if v := r.Header.Get("X-CSRF-Token"); v != "" {
		return v
	}
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		return r.PostFormValue("csrf_token")
	case strings.HasPrefix(ct, "multipart/form-data"):
		// A file upload form (scans of materials): small enough to parse here; the
		// node's body limit bounds it. Streaming uploads send the header instead.
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return ""
		}
		return r.PostFormValue("csrf_token")
	}
	return ""
}

func (p *Principal) canWrite() bool { return p.Via != "token:read" }

func (s *Service) cached(key string) (*Principal, bool) {
	v, ok := s.cache.Load(key)
	if !ok {
		return nil, false
	}
	c := v.(cachedPrincipal)
	if s.opt.Clock().After(c.until) {
		s.cache.Delete(key)
		return nil, false
	}
	p := c.p
	return &p, true
}

func (s *Service) byToken(ctx context.Context, token string) (*Principal, error) {
	hash := authkit.HashToken(token)
	if p, ok := s.cached(hash); ok {
		return p, nil
	}
	now := s.opt.Clock()
	var p Principal
	var scopes []string
	err := s.opt.DB.QueryRow(ctx, `SELECT u.id, u.username, u.display_name, u.role, u.hall, t.scopes
		FROM api_tokens t JOIN staff_users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND NOT u.disabled`,
		hash, now).Scan(&p.UserID, &p.Username, &p.Name, &p.Role, &p.Hall, &scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	p.Via = "token:read"
	for _, sc := range scopes {
		if sc == ScopeWrite {
			p.Via = "token:write"
		}
	}
	s.cache.Store(hash, cachedPrincipal{p, now.Add(principalCacheTTL)})
	return &p, nil
}

func (s *Service) bySession(ctx context.Context, token string) (*Principal, error) {
	hash := authkit.HashToken(token)
	if p, ok := s.cached(hash); ok {
		return p, nil
	}
	now := s.opt.Clock()
	var p Principal
	var lastSeen time.Time
	err := s.opt.DB.QueryRow(ctx, `SELECT u.id, u.username, u.display_name, u.role, u.hall, s.csrf, s.last_seen
		FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, hash, now).
		Scan(&p.UserID, &p.Username, &p.Name, &p.Role, &p.Hall, &p.CSRF, &lastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(lastSeen) > s.opt.IdleTimeout {
		_, _ = s.opt.DB.Exec(ctx, `DELETE FROM staff_sessions WHERE id_hash = $1`, hash)
		return nil, ErrUnauthenticated
	}
	if now.Sub(lastSeen) > time.Minute {
		_, _ = s.opt.DB.Exec(ctx, `UPDATE staff_sessions SET last_seen = $2 WHERE id_hash = $1`, hash, now)
	}
	p.Via, p.session = "session", hash
	s.cache.Store(hash, cachedPrincipal{p, now.Add(principalCacheTTL)})
	return &p, nil
}

// Allowed reports whether p may use a route open to roles (nil roles: any
// authenticated caller).
func Allowed(p *Principal, roles []Role) error {
	if p == nil {
		return ErrUnauthenticated
	}
	if roles == nil {
		return nil
	}
	for _, r := range roles {
		if p.Role == r {
			return nil
		}
	}
	return ErrForbidden
}
