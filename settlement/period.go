package settlement

import (
	"fmt"
	"time"
)

// shanghai is where periods begin and end: a waybill created at 23:30 on 31 March
// China time belongs to March even though it is still 31 March in UTC as well, and
// one created at 00:30 on 1 April China time belongs to April though UTC says March.
var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Period is a billing month, "2006-01".
type Period string

// ParsePeriod checks a period string.
func ParsePeriod(s string) (Period, error) {
	t, err := time.ParseInLocation("2006-01", s, shanghai)
	if err != nil || t.Format("2006-01") != s {
		return "", fieldErr("period", "账期格式应为 YYYY-MM", "period must look like 2025-03")
	}
	return Period(s), nil
}

// PeriodOf is the period a moment falls in, China time.
func PeriodOf(t time.Time) Period { return Period(t.In(shanghai).Format("2006-01")) }

// Start is the first instant of the period.
func (p Period) Start() time.Time {
	t, _ := time.ParseInLocation("2006-01", string(p), shanghai)
	return t
}

// End is the first instant after the period.
func (p Period) End() time.Time { return p.Start().AddDate(0, 1, 0) }

// Prev is the month before.
func (p Period) Prev() Period { return PeriodOf(p.Start().AddDate(0, -1, 0)) }

func (p Period) String() string { return string(p) }

func mustPeriod(s string) Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(fmt.Sprintf("settlement: period %q", s))
	}
	return p
}
