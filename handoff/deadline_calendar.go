package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tongban/tongban/handoff/workcal"
)

// refreshCalendar loads the years saved in workcal_years into the calendar when the
// table changed since the last look, so every replica follows a year loaded at any.
func (d *Deadlines) refreshCalendar(ctx context.Context) error {
	d.calMu.Lock()
	defer d.calMu.Unlock()
	var stamp string
	err := d.n.opt.DB.QueryRow(ctx, `SELECT coalesce(string_agg(year || '@' || extract(epoch FROM loaded_at), ',' ORDER BY year), '')
		FROM workcal_years`).Scan(&stamp)
	if err != nil {
		return deadlineErr("calendar years", err)
	}
	if stamp == d.calSeen {
		return nil
	}
	rows, err := d.n.opt.DB.Query(ctx, `SELECT year, data FROM workcal_years ORDER BY year`)
	if err != nil {
		return deadlineErr("calendar years", err)
	}
	type yearRow struct {
		Year int
		Data []byte
	}
	years, err := pgx.CollectRows(rows, pgx.RowToStructByPos[yearRow])
	if err != nil {
		return deadlineErr("calendar years", err)
	}
	for _, y := range years {
		if err := d.cal.LoadYear(y.Data); err != nil {
			return deadlineErr(fmt.Sprintf("calendar year %d", y.Year), err)
		}
	}
	d.calSeen = stamp
	return nil
}

// LoadYear validates a year file, saves it, loads it into the calendar and computes
// again every open timer the year can move: the provisional ones, and any whose span
// touches the year (a corrected year replaces published data). It returns how many
// timers were recomputed.
func (d *Deadlines) LoadYear(ctx context.Context, data []byte, who string) (year, recomputed int, err error) {
	var head struct {
		Year int `json:"year"`
	}
	// A scratch calendar validates the file, so a bad one never reaches the live one.
	verr := workcal.New().LoadYear(data)
	if verr == nil {
		verr = json.Unmarshal(data, &head)
	}
	if verr != nil {
		return 0, 0, fieldErr("body", "节假日数据无效："+verr.Error(), "invalid calendar year: "+verr.Error())
	}
	if err := d.cal.LoadYear(data); err != nil {
		return 0, 0, deadlineErr("load year", err)
	}
	loc := workcal.Location()
	from := time.Date(head.Year, 1, 1, 0, 0, 0, 0, loc)
	to := from.AddDate(1, 0, 0)
	err = pgx.BeginFunc(ctx, d.n.opt.DB, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO workcal_years (year, data, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (year) DO UPDATE SET data = $2, loaded_at = $3, loaded_by = $4`, head.Year, data, d.now(), who); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM timers WHERE state <> 'closed'
			AND (provisional OR (started_at < $2 AND due_at >= $1)) ORDER BY id FOR UPDATE`, from, to)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := d.recompute(ctx, tx, id); err != nil {
				return err
			}
		}
		recomputed = len(ids)
		return nil
	})
	if err != nil {
		return 0, 0, deadlineErr("load year", err)
	}
	return head.Year, recomputed, nil
}

// postYear loads a year published by the State Council (the year file as body).
func (d *Deadlines) postYear(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errTooLarge
		}
		return fieldErr("body", "无法读取请求内容", "cannot read the request body")
	}
	year, n, err := d.LoadYear(r.Context(), data, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"year": year, "recomputed_timers": n, "years": d.cal.Years()})
}

// listYears answers which years the calendar knows, and which were loaded at run time.
func (d *Deadlines) listYears(w http.ResponseWriter, r *http.Request) error {
	rows, err := d.n.opt.DB.Query(r.Context(), `SELECT year, loaded_at, loaded_by FROM workcal_years ORDER BY year`)
	if err != nil {
		return deadlineErr("list years", err)
	}
	type loaded struct {
		Year     int       `json:"year"`
		LoadedAt time.Time `json:"loaded_at"`
		LoadedBy string    `json:"loaded_by"`
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[loaded])
	if err != nil {
		return deadlineErr("list years", err)
	}
	if list == nil {
		list = []loaded{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"years": d.cal.Years(), "loaded": list})
}

// getWorkingDays answers the staff questions of `tongban workcal` over HTTP:
// ?from=2026-02-13&add=3 or ?from=2026-02-13&to=2026-03-02.
func (d *Deadlines) getWorkingDays(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := time.ParseInLocation(time.DateOnly, q.Get("from"), workcal.Location())
	if err != nil {
		return fieldErr("from", "日期格式须为 YYYY-MM-DD", "must be YYYY-MM-DD")
	}
	if s := q.Get("add"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < -3650 || n > 3650 {
			return fieldErr("add", "天数须为整数", "must be an integer within ±3650")
		}
		res := d.cal.AddWorkingDays(from, n)
		return writeJSON(w, http.StatusOK, map[string]any{"last_day": res.LastDay().Format(time.DateOnly),
			"due_at": res.At, "provisional": res.Provisional})
	}
	to, err := time.ParseInLocation(time.DateOnly, q.Get("to"), workcal.Location())
	if err != nil {
		return fieldErr("to", "请给出 add（天数）或 to（日期 YYYY-MM-DD）", "give add (days) or to (YYYY-MM-DD)")
	}
	n, prov := d.cal.WorkingDaysBetween(from, to)
	return writeJSON(w, http.StatusOK, map[string]any{"working_days": n, "provisional": prov})
}
