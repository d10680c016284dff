package handoff

import (
	"testing"
	"time"

	"github.com/tongban/tongban/handoff/workcal"
)

// at parses a Shanghai wall-clock time "2006-01-02 15:04".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, workcal.Location())
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func lastDayOf(due time.Time) string {
	return workcal.Result{At: due}.LastDay().Format(time.DateOnly)
}

func TestComputeTimes(t *testing.T) {
	t.Parallel()
	cal := workcal.New()
	tests := []struct {
		name        string
		spec        timerSpec
		pauses      [][2]string // Shanghai times; "" end: still paused
		due         string      // last day of the limit
		warn, red   string      // Shanghai instants of the lights
		provisional bool
	}{
		{name: "spring festival: 5 working days from Friday 13 Feb (14, 24–27)",
			spec: timerSpec{Start: at(t, "2026-02-13 10:00"), Limit: 5, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			due:  "2026-02-27", warn: "2026-02-25 00:00", red: "2026-02-27 00:00"},
		{name: "spring festival: make-up Saturday 28 Feb counts",
			spec: timerSpec{Start: at(t, "2026-02-24 09:00"), Limit: 5, Unit: UnitWorking, YellowPct: 40, RedPct: 80},
			due:  "2026-03-02", warn: "2026-02-27 00:00", red: "2026-03-01 00:00"}, // red once 28 Feb is spent
		{name: "1 working day over the holiday: the make-up Saturday",
			spec: timerSpec{Start: at(t, "2026-02-13 16:00"), Limit: 1, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			due:  "2026-02-14", warn: "2026-02-14 08:00", red: "2026-02-14 17:36"}, // shares of the 32 hours
		{name: "national day: 10 working days from 25 Sep (Art. 44)",
			spec: timerSpec{Start: at(t, "2026-09-24 15:00"), Limit: 10, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			// 28, 29, 30 Sep, 8, 9, 10 (make-up Sat), 12, 13, 14, 15 Oct
			due: "2026-10-15", warn: "2026-10-10 00:00", red: "2026-10-14 00:00"},
		{name: "make-up Sunday 20 Sep before the mid-autumn break",
			spec: timerSpec{Start: at(t, "2026-09-18 11:00"), Limit: 3, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			due:  "2026-09-22", warn: "2026-09-21 00:00", red: "2026-09-22 00:00"},
		{name: "natural days ending inside national day run to 8 Oct",
			spec: timerSpec{Start: at(t, "2026-09-24 10:00"), Limit: 7, Unit: UnitNatural, YellowPct: 50, RedPct: 80},
			due:  "2026-10-08", warn: "2026-10-05 00:00", red: "2026-10-07 00:00"}, // lights count back from the end
		{name: "natural days, plain",
			spec: timerSpec{Start: at(t, "2026-03-02 10:00"), Limit: 10, Unit: UnitNatural, YellowPct: 50, RedPct: 80},
			due:  "2026-03-12", warn: "2026-03-08 00:00", red: "2026-03-11 00:00"},
		{name: "year end into 2027 without data is provisional",
			spec: timerSpec{Start: at(t, "2026-12-30 10:00"), Limit: 3, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			due:  "2027-01-04", warn: "2027-01-01 00:00", red: "2027-01-02 00:00", provisional: true},
		{name: "pause starting inside the holiday costs only the days after it",
			spec:   timerSpec{Start: at(t, "2026-02-12 10:00"), Limit: 5, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			pauses: [][2]string{{"2026-02-17 10:00", "2026-02-25 10:00"}}, // consumes 24, 25
			due:    "2026-02-28", warn: "2026-02-26 00:00", red: "2026-02-28 00:00"},
		{name: "pause wholly inside the holiday costs nothing",
			spec:   timerSpec{Start: at(t, "2026-02-12 10:00"), Limit: 5, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			pauses: [][2]string{{"2026-02-16 10:00", "2026-02-22 10:00"}},
			due:    "2026-02-26", warn: "2026-02-15 00:00", red: "2026-02-26 00:00"}, // 13, 14 used: yellow
		{name: "two pauses add up",
			spec:   timerSpec{Start: at(t, "2026-03-02 09:00"), Limit: 5, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			pauses: [][2]string{{"2026-03-03 10:00", "2026-03-04 10:00"}, {"2026-03-05 10:00", "2026-03-09 10:00"}},
			// 3,4 | 5,(6 consumed… ) due 9 Mar + 1 + 2 = 12 Mar
			due: "2026-03-12", warn: "2026-03-10 00:00", red: "2026-03-12 00:00"},
		{name: "a pause still running moves nothing yet",
			spec:   timerSpec{Start: at(t, "2026-03-02 09:00"), Limit: 5, Unit: UnitWorking, YellowPct: 50, RedPct: 80},
			pauses: [][2]string{{"2026-03-03 10:00", ""}},
			due:    "2026-03-09", warn: "2026-03-05 00:00", red: "2026-03-07 00:00"},
		{name: "natural-day pause adds its calendar days",
			spec:   timerSpec{Start: at(t, "2026-03-02 10:00"), Limit: 10, Unit: UnitNatural, YellowPct: 50, RedPct: 80},
			pauses: [][2]string{{"2026-03-05 10:00", "2026-03-08 10:00"}},
			due:    "2026-03-16", warn: "2026-03-12 00:00", red: "2026-03-15 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var pauses []pauseSpan
			for _, p := range tt.pauses {
				span := pauseSpan{From: at(t, p[0])}
				if p[1] != "" {
					span.To = at(t, p[1])
				}
				pauses = append(pauses, span)
			}
			got := computeTimes(cal, tt.spec, pauses)
			if lastDayOf(got.Due) != tt.due || got.Provisional != tt.provisional {
				t.Errorf("due last day %s provisional %v, want %s provisional %v", lastDayOf(got.Due), got.Provisional, tt.due, tt.provisional)
			}
			if !got.Warn.Equal(at(t, tt.warn)) || !got.Red.Equal(at(t, tt.red)) {
				t.Errorf("warn %s red %s, want %s and %s", shanghaiDay(got.Warn).Format("2006-01-02 15:04"),
					shanghaiDay(got.Red).Format("2006-01-02 15:04"), tt.warn, tt.red)
			}
		})
	}
}

func TestRemainingAndLights(t *testing.T) {
	t.Parallel()
	cal := workcal.New()
	spec := timerSpec{Start: at(t, "2026-02-13 10:00"), Limit: 5, Unit: UnitWorking, YellowPct: 50, RedPct: 80}
	tt := computeTimes(cal, spec, nil) // last day 27 Feb
	tests := []struct {
		now   string
		left  int
		light string
	}{
		{"2026-02-13 11:00", 5, LightGreen},
		{"2026-02-20 11:00", 4, LightGreen}, // the holiday costs nothing; 14 Feb is spent
		{"2026-02-25 09:00", 2, LightYellow},
		{"2026-02-27 09:00", 0, LightRed},
		{"2026-02-28 09:00", -1, LightOverdue}, // the make-up Saturday counts against
		{"2026-03-01 09:00", -1, LightOverdue},
		{"2026-03-02 09:00", -2, LightOverdue},
	}
	for _, c := range tests {
		now := at(t, c.now)
		if got := remainingDays(cal, now, tt.Due, UnitWorking); got != c.left {
			t.Errorf("%s: remaining %d, want %d", c.now, got, c.left)
		}
		if got := lightOf(now, tt.Warn, tt.Red, tt.Due); got != c.light {
			t.Errorf("%s: light %s, want %s", c.now, got, c.light)
		}
	}
	nat := computeTimes(cal, timerSpec{Start: at(t, "2026-03-02 10:00"), Limit: 3, Unit: UnitNatural, YellowPct: 50, RedPct: 80}, nil)
	if got := remainingDays(cal, at(t, "2026-03-07 10:00"), nat.Due, UnitNatural); got != -2 {
		t.Errorf("natural overdue by two days: remaining %d, want -2", got)
	}
}

func TestStagesClimbOnce(t *testing.T) {
	t.Parallel()
	base := at(t, "2026-03-02 00:00")
	times := stageTimes(base, base.Add(time.Hour), base.Add(2*time.Hour), 3600, 7200)
	if f := nextFire(true, stageNone, times); f == nil || !f.Equal(base) {
		t.Errorf("first look %v, want the yellow instant", f)
	}
	if f := nextFire(true, stageLeader, times); f != nil {
		t.Errorf("after the leader nothing is left, got %v", f)
	}
	if f := nextFire(false, stageNone, times); f != nil {
		t.Errorf("the partner's timer is never swept here, got %v", f)
	}
}
