package workcal

import (
	"testing"
	"time"
)

func TestExtend(t *testing.T) {
	t.Parallel()
	cal := New()
	// Accepted Thu 12 Feb 2026, 5 working days: 13, 14, 24, 25, 26 Feb.
	deadline := cal.AddWorkingDays(date(t, "2026-02-12"), 5).At
	tests := []struct {
		name     string
		from, to time.Time
		want     string // last day after the extension
	}{
		// Consumed (17 Feb, 25 Feb] = 24, 25; 26 Feb + 2 = 27, make-up Sat 28.
		{"pause starting inside the holiday", clock(t, "2026-02-17 10:00"), clock(t, "2026-02-25 10:00"), "2026-02-28"},
		{"pause entirely inside the holiday", clock(t, "2026-02-16 10:00"), clock(t, "2026-02-22 10:00"), "2026-02-26"},
		{"resumes on the first day after the holiday", clock(t, "2026-02-16 10:00"), clock(t, "2026-02-24 09:00"), "2026-02-27"},
		{"pause within one day", clock(t, "2026-02-13 10:00"), clock(t, "2026-02-13 15:00"), "2026-02-26"},
		// Consumed (13 Feb, 24 Feb] = make-up 14, 24.
		{"pause over the make-up Saturday", clock(t, "2026-02-13 10:00"), clock(t, "2026-02-24 10:00"), "2026-02-28"},
		// Paused on the last day, none left: due by the end of the resumption day.
		{"pause on the last day", clock(t, "2026-02-26 10:00"), clock(t, "2026-03-02 10:00"), "2026-03-02"},
		{"pause after the deadline keeps it overdue", clock(t, "2026-03-02 10:00"), clock(t, "2026-03-05 10:00"), "2026-02-26"},
		{"backwards pause is ignored", clock(t, "2026-02-25 10:00"), clock(t, "2026-02-13 10:00"), "2026-02-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cal.Extend(deadline, tt.from, tt.to)
			if day := formatDay(got.LastDay()); day != tt.want || got.Provisional {
				t.Errorf("Extend(%s, %s) = %s provisional %v, want %s", tt.from, tt.to, day, got.Provisional, tt.want)
			}
		})
	}
}

func TestExtendIntoUnpublishedYear(t *testing.T) {
	t.Parallel()
	cal := New()
	deadline := cal.AddWorkingDays(date(t, "2026-12-28"), 3).At // 29, 30, 31 Dec
	// Consumed (30 Dec, 4 Jan] = 31 Dec, 1 Jan (guessed), 4 Jan; 31 Dec + 3 = 1, 4, 5 Jan.
	got := cal.Extend(deadline, date(t, "2026-12-30"), date(t, "2027-01-04"))
	if day := formatDay(got.LastDay()); day != "2027-01-05" || !got.Provisional {
		t.Errorf("Extend into 2027 = %s provisional %v, want 2027-01-05 provisional", day, got.Provisional)
	}
}

// TestExtendKeepsRemainingDays checks the equivalence the doc comment
// promises: while working days remain at the pause, extending the deadline
// equals counting those remaining days again from the end of the pause.
func TestExtendKeepsRemainingDays(t *testing.T) {
	t.Parallel()
	cal := New()
	for start := date(t, "2025-09-01"); start.Before(date(t, "2026-03-01")); start = start.AddDate(0, 0, 3) {
		deadline := cal.AddWorkingDays(start, 10).At
		for from := start; from.Before(deadline); from = from.AddDate(0, 0, 2) {
			remaining := cal.RemainingWorkingDays(from, deadline)
			if remaining <= 0 {
				continue
			}
			for length := 1; length <= 20; length += 3 {
				to := from.AddDate(0, 0, length)
				got := cal.Extend(deadline, from, to).At
				if want := cal.AddWorkingDays(to, remaining).At; !got.Equal(want) {
					t.Fatalf("start %s pause %s–%s: Extend = %s, recounting %d days = %s",
						formatDay(start), formatDay(from), formatDay(to), got, remaining, want)
				}
			}
		}
	}
}
