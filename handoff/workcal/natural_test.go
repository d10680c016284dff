package workcal

import "testing"

func TestAddNaturalDays(t *testing.T) {
	t.Parallel()
	cal := New()
	tests := []struct {
		name        string
		start       string
		n           int
		extend      bool
		want        string
		provisional bool
	}{
		{"ends on National Day: runs to 8 Oct", "2026-09-24", 7, true, "2026-10-08", false},
		{"ends on National Day, extension off", "2026-09-24", 7, false, "2026-10-01", false},
		{"ends on the first day of Spring Festival", "2026-02-08", 7, true, "2026-02-24", false},
		{"ends on Spring Festival, extension off", "2026-02-08", 7, false, "2026-02-15", false},
		{"ends on the make-up Saturday: no extension", "2026-02-07", 7, true, "2026-02-14", false},
		{"ends on a plain Saturday: runs to Monday", "2026-02-28", 7, true, "2026-03-09", false},
		{"ends on a working day", "2026-03-02", 10, true, "2026-03-12", false},
		{"national day 2025", "2025-09-30", 1, true, "2025-10-09", false},
		{"zero days is the start day even if resting", "2026-02-15", 0, true, "2026-02-15", false},
		{"ends on Sat 2 Jan 2027: guessed", "2026-12-25", 8, true, "2027-01-04", true},
		{"extension off never consults the calendar", "2026-12-25", 8, false, "2027-01-02", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := cal.AddNaturalDays(date(t, tt.start), tt.n, ExtendPastRestDays(tt.extend))
			if day := formatDay(got.LastDay()); day != tt.want || got.Provisional != tt.provisional {
				t.Errorf("AddNaturalDays(%s, %d, extend %v) = %s provisional %v, want %s provisional %v",
					tt.start, tt.n, tt.extend, day, got.Provisional, tt.want, tt.provisional)
			}
		})
	}
}

func TestAddNaturalDaysExtendsByDefault(t *testing.T) {
	t.Parallel()
	got := New().AddNaturalDays(date(t, "2026-09-24"), 7)
	if day := formatDay(got.LastDay()); day != "2026-10-08" {
		t.Errorf("default AddNaturalDays = %s, want 2026-10-08", day)
	}
}
