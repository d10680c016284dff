package workcal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// ErrInvalidData is wrapped by every error about the content of a year file,
// so that callers accepting uploads can answer "bad file" rather than
// "server error".
var ErrInvalidData = errors.New("invalid calendar data")

// Year files hold what one State Council notice publishes. A holiday that
// straddles New Year must be split into two files: keeping every date inside
// its own year means replacing a year can never change another year's days.
const (
	minYear = 1949
	maxYear = 9999
)

// yearFile is the JSON form of a year file, e.g.
//
//	{"year":2026,"version":"国办发明电〔2025〕…","holidays":[{"name":"春节",
//	 "from":"2026-02-15","to":"2026-02-23"}],"workdays":["2026-02-14"]}
type yearFile struct {
	Year     int           `json:"year"`
	Version  string        `json:"version"`
	Holidays []holidayJSON `json:"holidays"`
	Workdays []string      `json:"workdays"`
}

type holidayJSON struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// yearData is a validated year file.
type yearData struct {
	year     int
	version  string
	holidays []holiday // sorted by from
	workdays []day     // sorted make-up working days (调休上班)
}

type holiday struct {
	name     string
	from, to day
}

func (h holiday) days() int { return int(h.to-h.from) + 1 }

// parseYear decodes and validates a year file. It is strict on purpose:
// unknown fields, trailing data and loosely written dates are rejected,
// because a typo in a hand-edited file would otherwise shift real deadlines.
func parseYear(data []byte) (*yearData, error) {
	var f yearFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidData, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the year object", ErrInvalidData)
	}
	return f.validate()
}

func (f *yearFile) validate() (*yearData, error) {
	if f.Year < minYear || f.Year > maxYear {
		return nil, invalid("year %d outside %d..%d", f.Year, minYear, maxYear)
	}
	if f.Version == "" {
		return nil, invalid("version is empty; name the notice the data comes from")
	}
	if len(f.Holidays) == 0 {
		return nil, invalid("no holidays; every published year has some")
	}
	y := &yearData{year: f.Year, version: f.Version}
	off := make(map[day]string) // day -> holiday name, to find overlaps
	for _, h := range f.Holidays {
		hd, err := f.holiday(h)
		if err != nil {
			return nil, err
		}
		for d := hd.from; d <= hd.to; d++ {
			if other, dup := off[d]; dup {
				return nil, invalid("%s is in both holiday %q and holiday %q", d, other, hd.name)
			}
			off[d] = hd.name
		}
		y.holidays = append(y.holidays, hd)
	}
	seen := make(map[day]bool)
	for _, s := range f.Workdays {
		d, err := f.date(s)
		if err != nil {
			return nil, invalid("workday: %w", err)
		}
		switch {
		case seen[d]:
			return nil, invalid("workday %s listed twice", d)
		case off[d] != "":
			return nil, invalid("%s is both a workday and part of holiday %q", d, off[d])
		case !d.weekend():
			// A weekday is a working day anyway; listing it means the
			// date was mistyped, and the real make-up day is missing.
			return nil, invalid("workday %s is a %s, not a weekend day", d, d.weekday())
		}
		seen[d] = true
		y.workdays = append(y.workdays, d)
	}
	slices.SortFunc(y.holidays, func(a, b holiday) int { return int(a.from - b.from) })
	slices.Sort(y.workdays)
	return y, nil
}

func (f *yearFile) holiday(h holidayJSON) (holiday, error) {
	if h.Name == "" {
		return holiday{}, invalid("holiday from %q has no name", h.From)
	}
	from, err := f.date(h.From)
	if err != nil {
		return holiday{}, invalid("holiday %q from: %w", h.Name, err)
	}
	to, err := f.date(h.To)
	if err != nil {
		return holiday{}, invalid("holiday %q to: %w", h.Name, err)
	}
	if from > to {
		return holiday{}, invalid("holiday %q runs backwards: from %s is after to %s", h.Name, from, to)
	}
	return holiday{name: h.Name, from: from, to: to}, nil
}

// date parses a YYYY-MM-DD date that must lie inside the file's year.
func (f *yearFile) date(s string) (day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	if t.Year() != f.Year {
		return 0, fmt.Errorf("date %s is outside year %d", s, f.Year)
	}
	return civilDay(t.Date()), nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalidData, fmt.Errorf(format, args...))
}
