package handoff

import (
	"embed"
	"html/template"
	"net/http"
	"sync"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/web"
)

//go:embed templates/console/*.html
var consoleFS embed.FS

// console is a hall's web console under /console/: pages for the window, the partner
// hall and supervision, rendered with internal/web. Its pages are not API routes (the
// OpenAPI document does not describe HTML), so they are registered here, each with
// the roles that may open it, and listed for the access test.
type console struct {
	web.Pages
	n    *Node
	site *web.Site
}

var consoles sync.Map // *Node -> *console

func init() { extensions = append(extensions, setupConsole) }

// consoleOf returns the hall's console.
func consoleOf(n *Node) *console {
	c, _ := consoles.Load(n)
	cc, _ := c.(*console)
	return cc
}

// cityEN names the divisions the halls serve, for the English header.
var cityEN = map[string]string{"440100": "Guangzhou", "440300": "Shenzhen", "440400": "Zhuhai", "440600": "Foshan", "441900": "Dongguan"}

func setupConsole(n *Node) error {
	nameEN := n.opt.Code + " Government Service Centre"
	if c, ok := cityEN[n.opt.Code]; ok {
		nameEN = c + " Government Service Centre (" + n.opt.Code + ")"
	}
	c := &console{n: n}
	// The hall's address alone leads staff to the console.
	n.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
	})
	site, err := web.New(web.Options{Prefix: "/console", NodeZH: n.hallLabel(), NodeEN: nameEN, Dict: consoleDict,
		Nav: consoleNav, Home: consoleHome, Secure: n.opt.SecureCookies, Log: n.opt.Log, Problem: consoleProblem, Funcs: consoleFuncs,
		Cookie: n.auth.CookieName()})
	if err != nil {
		return err
	}
	if err := site.Parse(consoleFS, "templates/console/*.html"); err != nil {
		return err
	}
	c.site = site
	c.Pages = web.Pages{Mux: n.mux, Site: site, Auth: n.auth.Authenticate}
	c.routes()
	consoles.Store(n, c)
	return nil
}

var consoleNav = []web.NavItem{
	{Key: "nav.window", Href: "/console/window", Roles: clerks},
	{Key: "nav.hall", Href: "/console/hall", Roles: staff},
	{Key: "nav.cases", Href: "/console/cases", Roles: readers},
	{Key: "nav.supervision", Href: "/console/supervision", Roles: readers},
	{Key: "nav.overdue", Href: "/console/supervision/overdue", Roles: readers},
}

// consoleHome is where each role starts its day.
func consoleHome(p *auth.Principal) string {
	switch p.Role {
	case auth.WindowClerk:
		return "/console/window"
	case auth.HallStaff:
		return "/console/hall"
	}
	return "/console/supervision"
}

// consoleProblem shows the API's problem mapping to people: same status and type, the
// detail in both languages.
func consoleProblem(err error) web.Problem {
	return problemFor(err).ForPage()
}

func (c *console) routes() {
	s := c.site
	c.Public("GET /console/login", s.LoginPage(c.n.auth))
	c.Public("POST /console/login", s.LoginPage(c.n.auth))
	c.Public("GET /console/lang", s.LangHandler)
	c.Public(s.AssetPattern(), s.Assets)
	c.Page("POST /console/logout", nil, s.LogoutPage(c.n.auth))
	c.Page("GET /console/{$}", readers, c.home)

	c.Page("GET /console/window", clerks, c.window)
	c.Page("GET /console/window/matters/{code}", clerks, c.intakeForm)
	c.Page("POST /console/window/matters/{code}", clerks, c.postIntake)
	c.Page("GET /console/window/notices/{id}", clerks, c.noticePage)
	c.Page("POST /console/cases/{id}/package", clerks, c.postPackage)
	// A scan may be as large as the attachment limit allows, plus the form around it.
	c.Upload("POST /console/cases/{id}/attachments", clerks, c.n.opt.MaxAttachment+64<<10, nil, c.postAttachment)
	c.Page("POST /console/cases/{id}/dispatch", clerks, c.postDispatch)

	c.Page("GET /console/hall", staff, c.hall)
	c.Page("POST /console/hall/scan", staff, c.postScan)
	c.Page("GET /console/hall/receive/{id}", staff, c.receiveForm)
	c.Page("POST /console/hall/receive/{id}", staff, c.postReceive)

	c.Page("GET /console/cases", readers, c.cases)
	c.Page("GET /console/cases/{id}", readers, c.casePage)
	c.Page("POST /console/cases/{id}/applicant", operators, c.postApplicant)
	for path, move := range stepRoutes {
		c.Page("POST /console/cases/{id}/"+path, stepAccess[move], c.postMove(move))
	}

	c.Page("GET /console/supervision", readers, c.supervision)
	c.Page("GET /console/supervision/overdue", readers, c.overdue)
}

func (c *console) home(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	c.site.Redirect(w, r, consoleHome(p))
	return nil
}

// render shows a page with the hall's clock as "now", so countdowns agree with the
// deadlines the hall computes.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) error {
	p := c.site.NewPage(w, r, title, data)
	p.Now = c.n.now()
	c.site.RenderPage(w, status, name, p)
	return nil
}

// back redirects after a post with a message.
func (c *console) back(w http.ResponseWriter, r *http.Request, to string, m web.Msg) error {
	c.site.Flash(w, r, m)
	c.site.Redirect(w, r, to)
	return nil
}

// consoleFuncs are the template helpers of the hall's pages.
var consoleFuncs = template.FuncMap{
	"movectx": func(p *web.Page, move string) map[string]any {
		v, _ := p.Data.(*caseView)
		return map[string]any{"Page": p, "Case": v.Case, "Move": move}
	},
	"timerctx": func(p *web.Page, timers []TimerView) map[string]any {
		return map[string]any{"Page": p, "Timers": timers}
	},
	"pauseKindList": func() []string {
		return []string{"hearing", "testing", "inspection", "expert_review", "extension", "other"}
	},
}
