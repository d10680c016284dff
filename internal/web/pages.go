package web

import (
	"net/http"

	"github.com/tongban/tongban/internal/auth"
)

// Route is one registered console route and who may use it. Console pages are not API
// routes (the OpenAPI document does not describe HTML), so each console keeps this
// list for its access test.
type Route struct {
	Pattern string
	Public  bool
	Roles   []auth.Role
}

// Pages registers a console's routes on a mux, each behind the security headers and a
// body limit, and lists them.
type Pages struct {
	Mux  *http.ServeMux
	Site *Site
	Auth Authenticator
	List []Route
}

// Page registers a page open to roles. Anonymous visitors are sent to the login page
// (303), wrong roles and accounts of other nodes get a 403 page.
func (p *Pages) Page(pattern string, roles []auth.Role, h PageFunc) {
	p.Upload(pattern, roles, 1<<20, nil, h)
}

// Upload registers a page whose body may be as large as limit. prepare, when set,
// readies the request before the guard sees it (longer deadlines, the CSRF token of a
// streamed multipart form).
func (p *Pages) Upload(pattern string, roles []auth.Role, limit int64, prepare func(http.ResponseWriter, *http.Request) *http.Request, h PageFunc) {
	p.List = append(p.List, Route{Pattern: pattern, Roles: roles})
	guarded := p.Site.Guard(p.Auth, roles, h)
	p.Mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		SecurityHeaders(w, r)
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if prepare != nil {
			r = prepare(w, r)
		}
		guarded(w, r)
	})
}

// Public registers a page anyone may open (login, language switch, assets).
func (p *Pages) Public(pattern string, h http.HandlerFunc) {
	p.List = append(p.List, Route{Pattern: pattern, Public: true})
	p.Mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		SecurityHeaders(w, r)
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		h(w, r)
	})
}
