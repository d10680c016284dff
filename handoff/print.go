package handoff

import (
	"embed"
	"html/template"
	"net/http"
	"time"
)

//go:embed templates
var templateFS embed.FS

var (
	printTemplates = template.Must(template.ParseFS(templateFS, "templates/*.html"))
	printCSS       = template.CSS(mustRead("templates/print.css"))
)

func mustRead(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func shanghaiTime(t time.Time) string { return shanghaiDay(t).Format("2006-01-02 15:04") }

func (n *Node) hallLabel() string {
	if n.opt.Name != "" {
		return n.opt.Name
	}
	return n.opt.Code + " 政务服务中心"
}

func renderPrint(w http.ResponseWriter, name string, data any) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return printTemplates.ExecuteTemplate(w, name, data)
}

// printReceipt renders the receipt (接收凭证) handed to the applicant at intake.
func (n *Node) printReceipt(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c.mask()
	return renderPrint(w, "receipt", map[string]any{"Case": c, "CSS": printCSS, "Hall": n.hallLabel(), "IntakeAt": shanghaiTime(c.IntakeAt)})
}

// printHandover renders the handover sheet (交接单) that travels in the parcel.
func (n *Node) printHandover(w http.ResponseWriter, r *http.Request) error {
	c, err := n.loadCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	atts, err := n.attachments(r.Context(), c.ID, false)
	if err != nil {
		return err
	}
	c.mask()
	return renderPrint(w, "handover", map[string]any{"Case": c, "CSS": printCSS, "Hall": n.hallLabel(), "Attachments": len(atts)})
}

// printNotice renders a one-time notice (一次性告知书) or a refusal.
func (n *Node) printNotice(w http.ResponseWriter, r *http.Request) error {
	nt, err := n.loadNotice(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	nt.Applicant = nt.Applicant.masked()
	return renderPrint(w, "notice", map[string]any{"Notice": nt, "CSS": printCSS, "Hall": n.hallLabel(), "CreatedAt": shanghaiTime(nt.CreatedAt)})
}
