package workcal

import (
	"testing"
	"time"
)

// The expected days below were worked out by hand from the notices in
// DOMAIN.md §3; the comments show the count so a reader can check them.
func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	cal := New()
	tests := []struct {
		name        string
		start       time.Time
		n           int
		want        string // last day of the limit
		provisional bool
	}{
		// Spring Festival 2026: holiday Sun 15–Mon 23 Feb, make-up Sat 14 and Sat 28 Feb.
		{"spring festival: make-up Saturday counts", date(t, "2026-02-13"), 1, "2026-02-14", false},
		{"spring festival: 14, then 24", date(t, "2026-02-13"), 2, "2026-02-24", false},
		{"spring festival: 14, 24, 25", date(t, "2026-02-13"), 3, "2026-02-25", false},
		{"spring festival: 14, 24–28 Feb, 2 Mar", date(t, "2026-02-13"), 7, "2026-03-02", false},
		{"spring festival: 13, 14, 24, 25, 26", date(t, "2026-02-12"), 5, "2026-02-26", false},
		{"start on the make-up Saturday", date(t, "2026-02-14"), 1, "2026-02-24", false},
		{"start inside the holiday", clock(t, "2026-02-17 10:00"), 1, "2026-02-24", false},
		{"zero days ends with the start day", date(t, "2026-02-15"), 0, "2026-02-15", false},
		{"backwards over the holiday", date(t, "2026-02-24"), -1, "2026-02-14", false},
		{"backwards two", date(t, "2026-02-24"), -2, "2026-02-13", false},
		// Mid-Autumn 25–27 Sep and National Day 1–7 Oct 2026, make-up Sun 20 Sep and Sat 10 Oct.
		{"national day 2026: first is 8 Oct", date(t, "2026-09-30"), 1, "2026-10-08", false},
		{"national day 2026: 8, 9, make-up 10", date(t, "2026-09-30"), 3, "2026-10-10", false},
		{"national day 2026: Sunday 11 rests", date(t, "2026-09-30"), 4, "2026-10-12", false},
		{"make-up Sunday 20 Sep", date(t, "2026-09-18"), 1, "2026-09-20", false},
		{"20, 21, 22, 23, 24 Sep", date(t, "2026-09-18"), 5, "2026-09-24", false},
		{"mid-autumn skipped: 28 Sep", date(t, "2026-09-18"), 6, "2026-09-28", false},
		{"both festivals skipped: 8 Oct", date(t, "2026-09-18"), 9, "2026-10-08", false},
		// 22,23,24 | 28,29,30 | 8,9,10(Sat) | 12–16 | 19–23 | 26 = 20.
		{"20-day licensing limit over national day", date(t, "2026-09-21"), 20, "2026-10-26", false},
		// National Day 2025: 1–8 Oct, make-up Sun 28 Sep and Sat 11 Oct.
		{"national day 2025: make-up Sunday 28 Sep", date(t, "2025-09-26"), 1, "2025-09-28", false},
		{"national day 2025: 28, 29, 30, 9 Oct", date(t, "2025-09-26"), 4, "2025-10-09", false},
		{"national day 2025: make-up Saturday 11 Oct", date(t, "2025-09-26"), 6, "2025-10-11", false},
		{"national day 2025: Sunday 12 rests", date(t, "2025-09-26"), 7, "2025-10-13", false},
		// New Year 2026: 1–3 Jan, make-up Sun 4 Jan.
		{"new year: 31 Dec 2025", date(t, "2025-12-30"), 1, "2025-12-31", false},
		{"new year: make-up Sunday 4 Jan", date(t, "2025-12-31"), 1, "2026-01-04", false},
		{"new year: then Monday 5 Jan", date(t, "2025-12-31"), 2, "2026-01-05", false},
		// Year end 2026: no data for 2027, so weekdays are guessed to work.
		{"up to 31 Dec 2026 is known", date(t, "2026-12-21"), 8, "2026-12-31", false},
		{"1 Jan 2027 is a guess", date(t, "2026-12-21"), 9, "2027-01-01", true},
		{"31 Dec, 1 Jan, 4 Jan 2027", date(t, "2026-12-30"), 3, "2027-01-04", true},
		// 16:30 UTC on 13 Feb is 00:30 on 14 Feb in Shanghai, so counting starts on the 15th.
		{"dates are taken in Shanghai", time.Date(2026, 2, 13, 16, 30, 0, 0, time.UTC), 1, "2026-02-24", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cal.AddWorkingDays(tt.start, tt.n)
			if day := formatDay(got.LastDay()); day != tt.want || got.Provisional != tt.provisional {
				t.Errorf("AddWorkingDays(%s, %d) = last day %s provisional %v, want %s provisional %v",
					tt.start, tt.n, day, got.Provisional, tt.want, tt.provisional)
			}
			if want := date(t, tt.want).AddDate(0, 0, 1); !got.At.Equal(want) {
				t.Errorf("At = %s, want the next midnight %s", got.At, want)
			}
		})
	}
}

func TestYearEndBecomesKnownWhenLoaded(t *testing.T) {
	t.Parallel()
	cal := New() // own calendar: loading must not leak into other tests
	start := date(t, "2026-12-30")
	tests := []struct {
		n                  int
		guessed, published string
	}{
		{3, "2027-01-04", "2027-01-05"}, // guessed: 31, 1, 4; published: 31, 4, 5
		{7, "2027-01-08", "2027-01-09"}, // published: 31, 4–8, make-up Sat 9
	}
	for _, tt := range tests {
		if got := cal.AddWorkingDays(start, tt.n); formatDay(got.LastDay()) != tt.guessed || !got.Provisional {
			t.Errorf("before loading 2027: +%d = %s provisional %v, want %s provisional",
				tt.n, formatDay(got.LastDay()), got.Provisional, tt.guessed)
		}
	}
	if err := cal.LoadYear([]byte(year2027)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if got := cal.AddWorkingDays(start, tt.n); formatDay(got.LastDay()) != tt.published || got.Provisional {
			t.Errorf("after loading 2027: +%d = %s provisional %v, want %s final",
				tt.n, formatDay(got.LastDay()), got.Provisional, tt.published)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	t.Parallel()
	cal := New()
	tests := []struct {
		name        string
		a, b        string
		want        int
		provisional bool
	}{
		{"spring festival: 14, 24–28 Feb, 2 Mar", "2026-02-13", "2026-03-02", 7, false},
		{"reversed is negative", "2026-03-02", "2026-02-13", -7, false},
		{"same day", "2026-02-13", "2026-02-13", 0, false},
		{"nothing but holiday", "2026-02-14", "2026-02-23", 0, false},
		{"national day 2025: 28, 29, 30 Sep, 9, 10, 11 Oct", "2025-09-27", "2025-10-12", 6, false},
		{"December 2026 after the 1st", "2026-12-01", "2026-12-31", 22, false},
		{"whole year 2025", "2024-12-31", "2025-12-31", 248, false},
		{"whole year 2026", "2025-12-31", "2026-12-31", 248, false},
		{"into 2027: 31 Dec, 1 Jan, 4 Jan guessed", "2026-12-30", "2027-01-04", 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, prov := cal.WorkingDaysBetween(date(t, tt.a), date(t, tt.b))
			if n != tt.want || prov != tt.provisional {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d, %v; want %d, %v", tt.a, tt.b, n, prov, tt.want, tt.provisional)
			}
		})
	}
}

// TestAddAndBetweenAgree checks that the two functions count the same way
// over every start day and limit through both published years.
func TestAddAndBetweenAgree(t *testing.T) {
	t.Parallel()
	cal := New()
	for start := date(t, "2025-01-01"); start.Year() < 2027; start = start.AddDate(0, 0, 1) {
		for n := 0; n <= 25; n += 5 {
			r := cal.AddWorkingDays(start, n)
			if got, _ := cal.WorkingDaysBetween(start, r.LastDay()); got != n {
				t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(+%d)) = %d", formatDay(start), n, got)
			}
			if working, _ := cal.IsWorkingDay(r.LastDay()); n > 0 && !working {
				t.Fatalf("AddWorkingDays(%s, %d) ends on rest day %s", formatDay(start), n, formatDay(r.LastDay()))
			}
		}
	}
}

func TestRemainingWorkingDays(t *testing.T) {
	t.Parallel()
	cal := New()
	// Accepted Thu 12 Feb 2026 with 5 working days: 13, 14, 24, 25, 26 Feb.
	deadline := cal.AddWorkingDays(date(t, "2026-02-12"), 5).At
	// Last day Fri 6 Mar 2026, followed by a plain weekend.
	march := cal.AddWorkingDays(date(t, "2026-03-05"), 1).At
	tests := []struct {
		name     string
		now      time.Time
		deadline time.Time
		want     int
	}{
		{"on the day of acceptance", clock(t, "2026-02-12 09:00"), deadline, 5},
		{"during the holiday: 24, 25, 26 left", clock(t, "2026-02-20 09:00"), deadline, 3},
		{"last day", clock(t, "2026-02-26 17:00"), deadline, 0},
		{"one working day overdue", clock(t, "2026-02-27 00:00"), deadline, -1},
		{"make-up Saturday counts against", clock(t, "2026-02-28 09:00"), deadline, -2},
		{"Sunday adds nothing", clock(t, "2026-03-01 09:00"), deadline, -2},
		{"Monday", clock(t, "2026-03-02 09:00"), deadline, -3},
		{"rest day after the deadline is still 0", clock(t, "2026-03-07 09:00"), march, 0},
		{"first working day after the weekend", clock(t, "2026-03-09 09:00"), march, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cal.RemainingWorkingDays(tt.now, tt.deadline); got != tt.want {
				t.Errorf("RemainingWorkingDays(%s, %s) = %d, want %d", tt.now, tt.deadline, got, tt.want)
			}
		})
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	cal := New()
	start := date(b, "2026-09-21")
	for b.Loop() {
		if r := cal.AddWorkingDays(start, 20); r.Provisional {
			b.Fatal("unexpectedly provisional")
		}
	}
}
