package settlement

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/web"
)

//go:embed templates/finance/*.html
var financeFS embed.FS

// console is the finance console under /finance/: bill upload, reconciliation,
// disputes, the period close with maker-checker and the statements, rendered with
// internal/web. Its pages are not API routes (the OpenAPI document does not describe
// HTML), so they are kept in their own list, each with the roles that may open it,
// for the access test.
type console struct {
	web.Pages
	n    *Node
	site *web.Site
}

var consoles sync.Map // *Node -> *console

// consoleOf returns the node's finance console, or nil before MountConsole.
func consoleOf(n *Node) *console {
	c, _ := consoles.Load(n)
	cc, _ := c.(*console)
	return cc
}

// MountConsole registers the finance console's pages on the node's handler. Call it
// once, after NewNode; a second call is an error, since the routes are taken.
func (n *Node) MountConsole() error {
	c := &console{n: n}
	if _, loaded := consoles.LoadOrStore(n, c); loaded {
		return errors.New("settlement: mount console: already mounted")
	}
	// The node's address alone leads finance staff to the console.
	n.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/finance/", http.StatusSeeOther)
	})
	site, err := web.New(web.Options{Prefix: "/finance", NodeZH: "结算中心 · 财务", NodeEN: "Settlement centre · Finance",
		Dict: financeDict, Nav: financeNav, Home: financeHome, Secure: n.opt.SecureCookies, Log: n.log,
		Problem: financeProblem, Funcs: financeFuncs, Cookie: n.auth.CookieName()})
	if err != nil {
		consoles.Delete(n)
		return err
	}
	if err := site.Parse(financeFS, "templates/finance/*.html"); err != nil {
		consoles.Delete(n)
		return err
	}
	c.site = site
	c.Pages = web.Pages{Mux: n.mux, Site: site, Auth: n.auth.Authenticate}
	c.routes()
	return nil
}

var financeNav = []web.NavItem{
	{Key: "nav.bills", Href: "/finance/bills", Roles: financeReaders},
	{Key: "nav.recon", Href: "/finance/recon", Roles: financeReaders},
	{Key: "nav.disputes", Href: "/finance/disputes", Roles: financeReaders},
	{Key: "nav.close", Href: "/finance/close", Roles: financeReaders},
	{Key: "nav.quarantine", Href: "/finance/quarantine", Roles: admins},
	{Key: "nav.audit", Href: "/finance/audit", Roles: auditors},
}

// financeHome is where each role starts: the preparer with the bills, the approver
// with the closes waiting for a second pair of eyes, the administrator with the audit.
func financeHome(p *auth.Principal) string {
	switch p.Role {
	case auth.FinancePreparer:
		return "/finance/bills"
	case auth.FinanceApprover:
		return "/finance/close"
	case auth.Admin:
		return "/finance/audit"
	}
	return "/finance/recon"
}

// financeProblem shows the API's problem mapping to people: same status and type,
// the detail in both languages.
func financeProblem(err error) web.Problem {
	return problemFor(err).ForPage()
}

func (c *console) routes() {
	s := c.site
	c.Public("GET /finance/login", s.LoginPage(c.n.auth))
	c.Public("POST /finance/login", s.LoginPage(c.n.auth))
	c.Public("GET /finance/lang", s.LangHandler)
	c.Public(s.AssetPattern(), s.Assets)
	c.Page("POST /finance/logout", nil, s.LogoutPage(c.n.auth))
	c.Page("GET /finance/{$}", financeReaders, c.home)

	c.Page("GET /finance/bills", financeReaders, c.bills)
	// The bill upload: as large as a bill, with time to send and import it, streamed and
	// never parsed into memory or onto disk as a whole.
	c.Upload("POST /finance/bills", preparers, maxBill, func(w http.ResponseWriter, r *http.Request) *http.Request {
		web.LongUpload(w, billUploadTime)
		return withMultipartCSRF(r)
	}, c.postBill)
	c.Page("GET /finance/imports/{id}", financeReaders, c.importPage)
	c.Page("POST /finance/imports/{id}/accept", preparers, c.postImportDecision(true))
	c.Page("POST /finance/imports/{id}/discard", preparers, c.postImportDecision(false))

	c.Page("GET /finance/recon", financeReaders, c.recon)
	c.Page("POST /finance/recon", preparers, c.postRecon)

	c.Page("GET /finance/disputes", financeReaders, c.disputes)
	c.Page("POST /finance/disputes", preparers, c.postDisputes)
	c.Page("GET /finance/disputes/export", financeReaders, c.exportDisputes)
	c.Page("POST /finance/disputes/{id}/outcome", preparers, c.postOutcome)

	c.Page("GET /finance/close", financeReaders, c.closePage)
	c.Page("POST /finance/close/{period}/prepare", preparers, c.postPrepare)
	c.Page("POST /finance/close/{period}/approve", approvers, c.postApprove)
	c.Page("GET /finance/close/{period}/allocations", financeReaders, c.allocations)
	c.Page("GET /finance/close/{period}/statements/{kind}/{subject}/{format}", financeReaders, c.statement)

	c.Page("GET /finance/quarantine", admins, c.quarantine)
	c.Page("POST /finance/quarantine/{id}/replay", admins, c.postReplay)
	c.Page("GET /finance/audit", auditors, c.audit)
}

func (c *console) home(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	c.site.Redirect(w, r, financeHome(p))
	return nil
}

// render shows a page with the node's clock as "now".
func (c *console) render(w http.ResponseWriter, r *http.Request, name, title string, data any) error {
	p := c.site.NewPage(w, r, title, data)
	p.Now = c.n.clock()
	c.site.RenderPage(w, http.StatusOK, name, p)
	return nil
}

// back redirects after a post with a message.
func (c *console) back(w http.ResponseWriter, r *http.Request, to string, m web.Msg) error {
	c.site.Flash(w, r, m)
	c.site.Redirect(w, r, to)
	return nil
}

// fail redirects after a refused post with the reason, so the form is shown again
// with the message instead of a dead-end error page.
func (c *console) fail(w http.ResponseWriter, r *http.Request, to string, err error) error {
	p := financeProblem(err)
	if p.Status >= 500 || p.Status == http.StatusForbidden {
		return err
	}
	return c.back(w, r, to, c.site.ProblemMsg(err))
}

// who is the acting finance user's login name.
func who(r *http.Request) (string, error) { return actor(r) }

// role reports whether the caller has one of roles, for showing forms only to those
// who may post them (the post checks again).
func hasRole(r *http.Request, roles []auth.Role) bool {
	p, ok := auth.FromContext(r.Context())
	return ok && auth.Allowed(p, roles) == nil
}

type multipartKey struct{}

// withMultipartCSRF lets a plain multipart form (the bill upload without JavaScript)
// carry its CSRF token: the login service reads the token from a header or from a
// urlencoded form only, so the first part, which the form puts first, is read here
// and handed on as the header. The rest of the body stays unread for the page to
// stream; the reader travels in the context.
func withMultipartCSRF(r *http.Request) *http.Request {
	if r.Header.Get("X-CSRF-Token") != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return r
	}
	part, err := mr.NextPart()
	if err != nil {
		return r
	}
	ctx := context.WithValue(r.Context(), multipartKey{}, &pendingPart{mr: mr, part: part})
	r = r.WithContext(ctx)
	if part.FormName() == "csrf_token" {
		b, _ := io.ReadAll(io.LimitReader(part, 256))
		r.Header.Set("X-CSRF-Token", strings.TrimSpace(string(b)))
		ctx.Value(multipartKey{}).(*pendingPart).part = nil
	}
	return r
}

// pendingPart is a multipart body partly read before the page ran.
type pendingPart struct {
	mr   *multipart.Reader
	part *multipart.Part // a part read but not consumed, or nil
}

// multipartOf returns the request's multipart reader and the part already taken
// from it, if any.
func multipartOf(r *http.Request) (*multipart.Reader, *multipart.Part, error) {
	if pp, ok := r.Context().Value(multipartKey{}).(*pendingPart); ok {
		return pp.mr, pp.part, nil
	}
	mr, err := r.MultipartReader()
	return mr, nil, err
}

// carriers are the carriers with a bill layout, sorted.
func (c *console) carriers() []string {
	out := make([]string, 0, len(c.n.layouts))
	for k := range c.n.layouts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// financeFuncs are the template helpers of the finance pages.
var financeFuncs = template.FuncMap{
	"yuan": Yuan,
	"yuanp": func(p *int64) string {
		if p == nil {
			return "—"
		}
		return Yuan(*p)
	},
	"intp": func(p *int64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatInt(*p, 10)
	},
	"neg":     func(v int64) bool { return v < 0 },
	"sub":     func(a, b int64) int64 { return max(a-b, 0) },
	"list":    func(s ...string) []string { return s },
	"classes": func() []string { return append(append([]string(nil), Classes...), ClassNotBilledYet) },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12] + "…"
		}
		return s
	},
}
