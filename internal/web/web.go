// Package web is the server-rendered console shared by the nodes: a base layout with
// the node's name, the user and a language switch, navigation by role, flash
// messages, CSRF fields, friendly bilingual errors, embedded assets with long cache
// lives, and a page guard that sends anonymous visitors to the login page. Pages are
// plain html/template and plain forms (POST, then redirect), so they work with
// JavaScript off; the one script only adds comfort.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/auth"
)

//go:embed templates/*.html
var baseFS embed.FS

// NavItem is one link of the navigation bar, shown to Roles (nil: everyone logged in).
type NavItem struct {
	Key   string // dictionary key of its label
	Href  string
	Roles []auth.Role
}

// Options configure a Site.
type Options struct {
	// Prefix is where the console lives, such as "/console"; assets, the login page
	// and the language switch are under it.
	Prefix string
	// Node names the node in the header, in each language.
	NodeZH, NodeEN string
	// Dict is the node's own strings; they are merged with the layout's.
	Dict Dict
	Nav  []NavItem
	// Home is where a logged-in user lands, by role; default the prefix itself.
	Home func(p *auth.Principal) string
	// Secure marks cookies Secure (TLS here or at a proxy in front); requests over
	// TLS get it anyway.
	Secure bool
	Log    *slog.Logger
	// Problem turns a handler's error into what the visitor is told; nil maps every
	// error to the generic internal error.
	Problem func(error) Problem
	// Funcs are extra template functions for the node's pages.
	Funcs template.FuncMap
	// Cookie is the node's session cookie name (auth.Service.CookieName); default
	// auth.CookieName.
	Cookie string
}

func (s *Site) cookie() string {
	if s.opt.Cookie != "" {
		return s.opt.Cookie
	}
	return auth.CookieName
}

// Site renders one node's console.
type Site struct {
	opt    Options
	dict   Dict
	pages  map[string]*template.Template
	assets map[string]asset // by hashed file name
	byName map[string]string
}

// New builds a Site with the base layout; add pages with Parse.
func New(opt Options) (*Site, error) {
	opt.Prefix = strings.TrimRight(opt.Prefix, "/")
	if opt.Prefix == "" || !strings.HasPrefix(opt.Prefix, "/") {
		return nil, fmt.Errorf("web: prefix %q must start with /", opt.Prefix)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	d := Dict{}
	d.Merge(baseDict)
	d.Merge(opt.Dict)
	if miss := d.Missing(); len(miss) > 0 {
		return nil, fmt.Errorf("web: dictionary entries without both languages: %v", miss)
	}
	s := &Site{opt: opt, dict: d, pages: map[string]*template.Template{}}
	if err := s.loadAssets(); err != nil {
		return nil, err
	}
	if err := s.Parse(baseFS, "templates/login.html", "templates/error.html"); err != nil {
		return nil, err
	}
	return s, nil
}

// Dict is the site's dictionary (layout and node strings).
func (s *Site) Dict() Dict { return s.dict }

// Prefix is where the console is mounted.
func (s *Site) Prefix() string { return s.opt.Prefix }

// Parse adds pages: each file defines "content" (and may define "title" and
// "head"), and is rendered inside the layout under its base name without extension.
func (s *Site) Parse(fsys fs.FS, patterns ...string) error {
	layout, err := template.New("layout").Funcs(funcs).Funcs(s.opt.Funcs).ParseFS(baseFS, "templates/layout.html")
	if err != nil {
		return err
	}
	for _, pat := range patterns {
		files, err := fs.Glob(fsys, pat)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("web: no template matches %s", pat)
		}
		for _, f := range files {
			t, err := template.Must(layout.Clone()).ParseFS(fsys, f)
			if err != nil {
				return fmt.Errorf("web: parse %s: %w", f, err)
			}
			s.pages[strings.TrimSuffix(path.Base(f), path.Ext(f))] = t
		}
	}
	return nil
}

// funcs are small helpers templates need beyond Page's methods.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"query": url.QueryEscape,
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}

func (s *Site) secure(r *http.Request) bool { return s.opt.Secure || r.TLS != nil }

// Page is what every template sees: the request's language, the user, the flash
// message, the navigation, and the page's own Data.
type Page struct {
	site  *Site
	Lang  Lang
	User  *auth.Principal
	Flash *Msg
	Path  string
	Title string
	Data  any
	Now   time.Time
}

// T is the dictionary entry key in the page's language.
func (p *Page) T(key string, args ...any) string { return p.site.dict.Text(p.Lang, key, args...) }

// L picks between a Chinese and an English text given as data (problem details,
// messages from other parts of the node).
func (p *Page) L(zh, en string) string {
	if p.Lang == EN && en != "" {
		return en
	}
	return zh
}

// Has reports whether the dictionary has key, for data-driven labels (states, kinds).
func (p *Page) Has(key string) bool { _, ok := p.site.dict[key]; return ok }

// TK is T for a key built from parts ("state." + name), falling back to the last
// part when the dictionary lacks it (an unknown value from the data, shown as is).
func (p *Page) TK(parts ...string) string {
	key := strings.Join(parts, "")
	if p.Has(key) {
		return p.T(key)
	}
	return parts[len(parts)-1]
}

// CSRFField is the hidden field every form that changes something carries.
func (p *Page) CSRFField() template.HTML {
	if p.User == nil {
		return ""
	}
	return template.HTML(`<input type="hidden" name="csrf_token" value="` + template.HTMLEscapeString(p.User.CSRF) + `">`)
}

// CSRF is the raw token, for the script's fetches.
func (p *Page) CSRF() string {
	if p.User == nil {
		return ""
	}
	return p.User.CSRF
}

// Asset is the hashed URL of an embedded asset ("console.css").
func (p *Page) Asset(name string) string { return p.site.AssetURL(name) }

// URL is a path under the console's prefix.
func (p *Page) URL(parts ...string) string { return p.site.opt.Prefix + strings.Join(parts, "") }

// Node is the node's name in the page's language.
func (p *Page) Node() string { return p.L(p.site.opt.NodeZH, p.site.opt.NodeEN) }

// Time shows an instant in Asia/Shanghai.
func (p *Page) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Shanghai).Format("2006-01-02 15:04")
}

// TimeP is Time for an optional instant.
func (p *Page) TimeP(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return p.Time(*t)
}

// Remaining says how long until t (or how long since, once past), in days, hours and
// minutes, the way the countdown script also writes it.
func (p *Page) Remaining(t time.Time) string {
	d := t.Sub(p.Now)
	key := "time.left"
	if d < 0 {
		key, d = "time.over", -d
	}
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	return p.T(key, days, hours, mins)
}

// Millis is t as Unix milliseconds, for the countdown script.
func (p *Page) Millis(t time.Time) int64 { return t.UnixMilli() }

// LangURL switches to the other language and comes back to this page.
func (p *Page) LangURL() string {
	to := EN
	if p.Lang == EN {
		to = ZH
	}
	return p.site.opt.Prefix + "/lang?to=" + string(to) + "&back=" + url.QueryEscape(p.Path)
}

type navView struct {
	Label, Href string
	Active      bool
}

// Nav is the navigation for the user's role.
func (p *Page) Nav() []navView {
	if p.User == nil {
		return nil
	}
	var out []navView
	for _, it := range p.site.opt.Nav {
		if it.Roles != nil && auth.Allowed(p.User, it.Roles) != nil {
			continue
		}
		active := p.Path == it.Href || (it.Href != p.site.opt.Prefix+"/" && strings.HasPrefix(p.Path, it.Href+"/"))
		out = append(out, navView{Label: p.T(it.Key), Href: it.Href, Active: active})
	}
	return out
}

// RoleName is the user's role in the page's language.
func (p *Page) RoleName() string {
	if p.User == nil {
		return ""
	}
	return p.TK("role.", string(p.User.Role))
}

// Shanghai is China Standard Time; China keeps no daylight saving, so a fixed zone
// spares a tzdata dependency.
var Shanghai = time.FixedZone("CST", 8*3600)

// NewPage is the page for r, with the flash message taken.
func (s *Site) NewPage(w http.ResponseWriter, r *http.Request, title string, data any) *Page {
	p := &Page{site: s, Lang: LangOf(r), Path: r.URL.Path, Data: data, Now: time.Now()}
	p.User, _ = auth.FromContext(r.Context())
	p.Flash = s.takeFlash(w, r)
	p.Title = p.T(title)
	return p
}

// Render writes page name with data and status. The title is a dictionary key.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	s.RenderPage(w, status, name, s.NewPage(w, r, title, data))
}

// RenderPage writes a prepared page (set Now to the node's clock, for example).
func (s *Site) RenderPage(w http.ResponseWriter, status int, name string, p *Page) {
	t, ok := s.pages[name]
	if !ok {
		s.opt.Log.Error("web: no such page template", slog.String("page", name))
		http.Error(w, "page template missing", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.opt.Log.Error("web: render", slog.String("page", name), slog.String("err", err.Error()))
		http.Error(w, "render failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// Redirect answers a form post with 303 See Other to a path under the console.
func (s *Site) Redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// LocalPath reports whether to is a path inside the console, safe to redirect to.
func (s *Site) LocalPath(to string) bool {
	return strings.HasPrefix(to, s.opt.Prefix+"/") && !strings.HasPrefix(to, "//") && !strings.ContainsAny(to, "\\\r\n")
}

// LangHandler serves GET {prefix}/lang?to=en&back=/console/...: it sets the language
// cookie and goes back.
func (s *Site) LangHandler(w http.ResponseWriter, r *http.Request) {
	to := Lang(r.URL.Query().Get("to"))
	if to != EN {
		to = ZH
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: string(to), Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r), HttpOnly: true})
	back := r.URL.Query().Get("back")
	if !s.LocalPath(back) {
		back = s.opt.Prefix + "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
