package workcal

import (
	"testing"
	"time"
)

// date returns 00:00 Shanghai time on a YYYY-MM-DD date.
func date(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, s, Location())
	if err != nil {
		t.Fatalf("bad test date %q: %v", s, err)
	}
	return d
}

// clock returns a Shanghai time given as "YYYY-MM-DD HH:MM".
func clock(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02 15:04", s, Location())
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return d
}

func formatDay(t time.Time) string { return t.In(Location()).Format(time.DateOnly) }

// year2027 is fabricated for tests: 2027 has not been published. It makes
// 1–3 Jan 2027 a holiday and Saturday 9 Jan a make-up working day.
const year2027 = `{"year":2027,"version":"fabricated for tests",
 "holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}],
 "workdays":["2027-01-09"]}`
