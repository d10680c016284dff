package handoff

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/internal/web"
)

// lightSev is the SQL severity of an open timer at $1 (0 green … 3 overdue); a paused
// clock keeps the light it had when it stopped.
const lightSev = `CASE WHEN ref >= due_at THEN 3 WHEN ref >= red_at THEN 2 WHEN ref >= warn_at THEN 1 ELSE 0 END`

var sevLight = []string{LightGreen, LightYellow, LightRed, LightOverdue}

type supervisionView struct {
	By      string
	Groups  []string
	Total   LightCount
	Counts  []LightCount
	Key     string // drill-down: one line of the board
	Light   string // drill-down: one light
	Drill   []TimerView
	Drilled bool
	Volume  template.HTML
	OnTime  template.HTML
	Days    int
}

// lights counts open cases by the light of their worst open clock, grouped by col (a
// case counts once; a paused clock keeps the light it had when it stopped). The
// supervision API and the console's board share it.
func (n *Node) lights(ctx context.Context, col string) ([]LightCount, error) {
	rows, err := n.opt.DB.Query(ctx, `WITH open AS (
		SELECT case_id, coalesce(nullif(`+col+`, ''), '—') AS key, state, `+lightSev+` AS sev
		FROM (SELECT *, CASE WHEN state = 'paused' THEN paused_at ELSE $1 END AS ref FROM timers WHERE state <> 'closed') t
	), worst AS (SELECT DISTINCT ON (case_id) * FROM open ORDER BY case_id, sev DESC)
	SELECT key, count(*) FILTER (WHERE sev = 0), count(*) FILTER (WHERE sev = 1), count(*) FILTER (WHERE sev = 2),
	       count(*) FILTER (WHERE sev = 3), count(*) FILTER (WHERE state = 'paused')
	FROM worst GROUP BY key ORDER BY key`, n.now())
	if err != nil {
		return nil, deadlineErr("console lights", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[LightCount])
}

// drill lists the open clocks behind one cell of the board, nearest deadline first.
func (n *Node) drill(ctx context.Context, col, key, light string) ([]TimerView, error) {
	sev := -1
	for i, l := range sevLight {
		if l == light {
			sev = i
		}
	}
	rows, err := n.opt.DB.Query(ctx, `SELECT `+timerViewCols+` FROM (
		SELECT *, CASE WHEN state = 'paused' THEN paused_at ELSE $1 END AS ref FROM timers WHERE state <> 'closed') t
		WHERE ($2 = '' OR coalesce(nullif(`+col+`, ''), '—') = $2) AND ($3 < 0 OR `+lightSev+` = $3)
		ORDER BY due_at, id LIMIT 200`, n.now(), key, sev)
	if err != nil {
		return nil, deadlineErr("console drill", err)
	}
	list, err := pgx.CollectRows(rows, scanTimerView)
	if err != nil {
		return nil, deadlineErr("console drill", err)
	}
	d := n.Deadlines()
	for i := range list {
		d.finish(&list[i], n.now())
	}
	return list, nil
}

func (c *console) supervision(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := supervisionView{By: q.Get("by"), Groups: []string{"hall", "matter", "department", "clerk"}, Key: q.Get("key"),
		Light: q.Get("light"), Days: 14}
	col, ok := lightGroups[v.By]
	if !ok {
		v.By, col = "hall", lightGroups["hall"]
	}
	counts, err := c.n.lights(r.Context(), col)
	if err != nil {
		return err
	}
	v.Counts = counts
	for _, l := range counts {
		v.Total.Green += l.Green
		v.Total.Yellow += l.Yellow
		v.Total.Red += l.Red
		v.Total.Overdue += l.Overdue
		v.Total.Paused += l.Paused
	}
	if q.Has("key") || q.Has("light") {
		v.Drilled = true
		if v.Drill, err = c.n.drill(r.Context(), col, v.Key, v.Light); err != nil {
			return err
		}
	}
	stats, err := c.n.dailyStats(r.Context(), v.Days)
	if err != nil {
		return err
	}
	lang := langOf(r)
	v.Volume = volumeChart(stats, lang)
	v.OnTime = onTimeChart(stats, lang)
	return c.render(w, r, http.StatusOK, "supervision", "sup.title", v)
}

func (c *console) overdue(w http.ResponseWriter, r *http.Request) error {
	list, err := c.n.Deadlines().Overdue(r.Context(), 500)
	if err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "overdue", "overdue.title", list)
}

// dayStat is one day of the charts.
type dayStat struct {
	Day      time.Time
	Out, In  int // cases taken in here, cases arriving to decide
	Met, Due int // clocks closed that day in time, and all closed that day
}

// dailyStats reads the last days of volume and on-time closing, one row per day
// (Shanghai dates), days without cases included.
func (n *Node) dailyStats(ctx context.Context, days int) ([]dayStat, error) {
	var out []dayStat
	rows, err := n.opt.DB.Query(ctx, `WITH d AS (
		SELECT generate_series(($1::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - ($2 - 1), ($1::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, '1 day')::date AS day
	)
	SELECT d.day,
		(SELECT count(*) FROM cases WHERE origin = $3 AND (intake_at AT TIME ZONE 'Asia/Shanghai')::date = d.day),
		(SELECT count(*) FROM cases WHERE destination = $3 AND (intake_at AT TIME ZONE 'Asia/Shanghai')::date = d.day),
		(SELECT count(*) FROM timers WHERE outcome = 'met' AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date = d.day),
		(SELECT count(*) FROM timers WHERE outcome IN ('met', 'late') AND (closed_at AT TIME ZONE 'Asia/Shanghai')::date = d.day)
	FROM d ORDER BY d.day`, n.now(), days, n.opt.Code)
	if err != nil {
		return nil, deadlineErr("console stats", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s dayStat
		if err := rows.Scan(&s.Day, &s.Out, &s.In, &s.Met, &s.Due); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Chart geometry shared by both charts.
const (
	chartW, chartH        = 560, 200
	chartLeft, chartRight = 36, 8
	chartTop, chartBottom = 10, 28
)

func chartFrame(b *strings.Builder, label string) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, template.HTMLEscapeString(label))
	fmt.Fprintf(b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, chartLeft, chartH-chartBottom, chartW-chartRight, chartH-chartBottom)
}

func dayLabel(b *strings.Builder, i, n int, x float64, d time.Time) {
	if n <= 10 || i%2 == 0 || i == n-1 {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, chartH-chartBottom+16, d.Format("01-02"))
	}
}

// volumeChart draws cases per day as paired bars: taken in here, and arriving to be
// decided here. Server-rendered SVG, so it needs no script and prints.
func volumeChart(stats []dayStat, lang string) template.HTML {
	var b strings.Builder
	title := map[string]string{"zh": "每日收件量与来件量", "en": "Cases per day, taken in and arriving"}[lang]
	chartFrame(&b, title)
	maxV := 1
	for _, s := range stats {
		maxV = max(maxV, s.Out, s.In)
	}
	plotH := float64(chartH - chartTop - chartBottom)
	slot := float64(chartW-chartLeft-chartRight) / float64(max(len(stats), 1))
	for _, tick := range []int{0, maxV / 2, maxV} {
		y := float64(chartH-chartBottom) - plotH*float64(tick)/float64(maxV)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%d</text>`, chartLeft-6, y+4, tick)
	}
	for i, s := range stats {
		x := float64(chartLeft) + slot*float64(i)
		bw := slot * 0.36
		for j, v := range []int{s.Out, s.In} {
			h := plotH * float64(v) / float64(maxV)
			cls := []string{"bar", "bar2"}[j]
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %d</title></rect>`,
				cls, x+slot*0.12+bw*float64(j), float64(chartH-chartBottom)-h, bw, h, s.Day.Format("2006-01-02"), v)
		}
		dayLabel(&b, i, len(stats), x+slot/2, s.Day)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// onTimeChart draws the share of clocks closed in time per day as a line; days with
// nothing closed leave a gap rather than pretend 0 % or 100 %.
func onTimeChart(stats []dayStat, lang string) template.HTML {
	var b strings.Builder
	title := map[string]string{"zh": "每日按时办结率", "en": "On-time rate per day"}[lang]
	chartFrame(&b, title)
	plotH := float64(chartH - chartTop - chartBottom)
	slot := float64(chartW-chartLeft-chartRight) / float64(max(len(stats), 1))
	for _, pct := range []int{0, 50, 100} {
		y := float64(chartH-chartBottom) - plotH*float64(pct)/100
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%d%%</text>`, chartLeft-6, y+4, pct)
		if pct > 0 {
			fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke-dasharray="2 3"/>`, chartLeft, y, chartW-chartRight, y)
		}
	}
	var path []string
	for i, s := range stats {
		x := float64(chartLeft) + slot*float64(i) + slot/2
		dayLabel(&b, i, len(stats), x, s.Day)
		if s.Due == 0 {
			if len(path) > 1 {
				fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(path, " "))
			}
			path = nil
			continue
		}
		pct := float64(s.Met) / float64(s.Due) * 100
		y := float64(chartH-chartBottom) - plotH*pct/100
		path = append(path, fmt.Sprintf("%.1f,%.1f", x, y))
		fmt.Fprintf(&b, `<circle class="dot" cx="%.1f" cy="%.1f" r="3"><title>%s %d/%d</title></circle>`, x, y, s.Day.Format("2006-01-02"), s.Met, s.Due)
	}
	if len(path) > 1 {
		fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(path, " "))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func langOf(r *http.Request) string { return string(web.LangOf(r)) }
