package workcal

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestEmbeddedYears(t *testing.T) {
	t.Parallel()
	cal := New()
	if got := cal.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Fatalf("Years() = %v, want [2025 2026]", got)
	}
	// 261 weekdays each year; 2025: -18 weekday holidays +5 make-up days,
	// 2026: -19 +6.
	for _, year := range []int{2025, 2026} {
		if got := cal.table(year).workingDays(); got != 248 {
			t.Errorf("%d has %d working days, want 248", year, got)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	cal := New()
	tests := []struct {
		name           string
		at             time.Time
		working, known bool
	}{
		{"make-up Saturday", date(t, "2026-02-14"), true, true},
		{"Spring Festival Sunday", date(t, "2026-02-15"), false, true},
		{"Spring Festival Monday", date(t, "2026-02-16"), false, true},
		{"first day back", date(t, "2026-02-24"), true, true},
		{"plain Sunday", date(t, "2026-03-01"), false, true},
		{"plain Monday", date(t, "2026-03-02"), true, true},
		{"make-up Sunday 4 Jan", date(t, "2026-01-04"), true, true},
		{"national day 2025 last day", date(t, "2025-10-08"), false, true},
		{"make-up Saturday 11 Oct 2025", date(t, "2025-10-11"), true, true},
		{"2027 weekday is a guess", date(t, "2027-01-01"), true, false},
		{"2027 Saturday is a guess", date(t, "2027-01-02"), false, false},
		{"2024 National Day is a guess", date(t, "2024-10-01"), true, false},
		{"UTC evening is Shanghai's next day", time.Date(2026, 2, 13, 16, 30, 0, 0, time.UTC), true, true},
		{"UTC evening before the holiday", time.Date(2026, 2, 14, 16, 30, 0, 0, time.UTC), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			working, known := cal.IsWorkingDay(tt.at)
			if working != tt.working || known != tt.known {
				t.Errorf("IsWorkingDay(%s) = %v, %v; want %v, %v", tt.at, working, known, tt.working, tt.known)
			}
		})
	}
}

func TestLoadYear(t *testing.T) {
	t.Parallel()
	cal := New()
	if err := cal.LoadYear([]byte(year2027)); err != nil {
		t.Fatal(err)
	}
	if got := cal.Years(); !slices.Equal(got, []int{2025, 2026, 2027}) {
		t.Errorf("Years() = %v, want [2025 2026 2027]", got)
	}
	if working, known := cal.IsWorkingDay(date(t, "2027-01-01")); working || !known {
		t.Errorf("1 Jan 2027 after loading: working %v known %v", working, known)
	}
	if working, _ := cal.IsWorkingDay(date(t, "2027-01-09")); !working {
		t.Error("make-up Saturday 9 Jan 2027 is not a working day")
	}

	// Replacing a year: a correction that drops the 14 Feb 2026 make-up day.
	corrected := `{"year":2026,"version":"corrected",
	 "holidays":[{"name":"春节","from":"2026-02-15","to":"2026-02-23"}],"workdays":["2026-02-28"]}`
	if err := cal.LoadYear([]byte(corrected)); err != nil {
		t.Fatal(err)
	}
	if got := cal.AddWorkingDays(date(t, "2026-02-13"), 3); formatDay(got.LastDay()) != "2026-02-26" {
		t.Errorf("after replacing 2026: +3 = %s, want 2026-02-26 (24, 25, 26)", formatDay(got.LastDay()))
	}
	if err := cal.LoadYear([]byte(`{"year":2026}`)); err == nil {
		t.Error("invalid replacement accepted")
	}
	if got := cal.AddWorkingDays(date(t, "2026-02-13"), 3); formatDay(got.LastDay()) != "2026-02-26" {
		t.Errorf("a rejected file changed the calendar: +3 = %s", formatDay(got.LastDay()))
	}
}

// TestConcurrentLoadAndRead is meant for -race: readers run while a writer
// keeps replacing a year, and every answer must be one of the two versions.
func TestConcurrentLoadAndRead(t *testing.T) {
	t.Parallel()
	cal := New()
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 50 {
			if err := cal.LoadYear([]byte(year2027)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	start := date(t, "2026-12-30")
	for range 4 {
		wg.Go(func() {
			for range 200 {
				got := formatDay(cal.AddWorkingDays(start, 3).LastDay())
				if got != "2027-01-04" && got != "2027-01-05" {
					t.Errorf("concurrent AddWorkingDays = %s", got)
					return
				}
				_ = cal.Years()
			}
		})
	}
	wg.Wait()
}
