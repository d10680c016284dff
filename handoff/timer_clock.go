package handoff

import (
	"time"

	"github.com/tongban/tongban/handoff/workcal"
)

// timerSpec is what a timer's instants are computed from. A timer stores it, and its
// pause rows, so the instants can always be computed again from the record: on resume,
// and when a calendar year is loaded and a provisional deadline becomes final.
type timerSpec struct {
	Start     time.Time
	Limit     int
	Unit      string
	YellowPct int
	RedPct    int
}

// pauseSpan is one stop of the clock; a zero To is a pause still running, which does
// not move the deadline until it ends.
type pauseSpan struct{ From, To time.Time }

// timerTimes are a timer's instants: the lights turn yellow at Warn and red at Red,
// and the limit ends at Due (exclusive, 00:00 Shanghai after the last day).
type timerTimes struct {
	Warn, Red, Due time.Time
	Provisional    bool
}

// computeTimes applies the limit from the start, then every finished pause.
//
// Working-day limits move with workcal's Extend, pause by pause, so a pause that
// starts inside a holiday costs nothing until the holiday is over. Natural-day limits
// count the pause's calendar days and are added to the limit, so the end still moves
// past a rest day as the first computation did.
//
// The lights are placed relative to the final deadline: red when the share of the
// limit used reaches RedPct, that is when limit−used days remain. Counting back from
// the deadline keeps the lights right after pauses. A limit too short for a whole day
// to mark the share (1 working day at 50 %) uses the same share of the clock time.
func computeTimes(cal *workcal.Calendar, s timerSpec, pauses []pauseSpan) timerTimes {
	var due workcal.Result
	if s.Unit == UnitNatural {
		consumed := 0
		due = cal.AddNaturalDays(s.Start, s.Limit)
		for _, p := range pauses {
			if p.To.IsZero() || !p.To.After(p.From) || !p.From.Before(due.At) {
				continue
			}
			consumed += civilDaysBetween(p.From, p.To)
			due = cal.AddNaturalDays(s.Start, s.Limit+consumed)
		}
	} else {
		due = cal.AddWorkingDays(s.Start, s.Limit)
		for _, p := range pauses {
			if !p.To.IsZero() {
				ext := cal.Extend(due.At, p.From, p.To)
				due = workcal.Result{At: ext.At, Provisional: due.Provisional || ext.Provisional}
			}
		}
	}
	provisional := due.Provisional
	warn, wp := lightAt(cal, s, due.At, s.YellowPct)
	red, rp := lightAt(cal, s, due.At, s.RedPct)
	if red.Before(warn) {
		red = warn
	}
	return timerTimes{Warn: warn, Red: red, Due: due.At, Provisional: provisional || wp || rp}
}

func lightAt(cal *workcal.Calendar, s timerSpec, due time.Time, pct int) (time.Time, bool) {
	used := s.Limit * pct / 100
	if used < 1 {
		return s.Start.Add(due.Sub(s.Start) * time.Duration(pct) / 100), false
	}
	left := s.Limit - used
	last := workcal.Result{At: due}.LastDay()
	var r workcal.Result
	if s.Unit == UnitNatural {
		r = cal.AddNaturalDays(last, -left, workcal.ExtendPastRestDays(false))
	} else {
		r = cal.AddWorkingDays(last, -left)
	}
	return r.At, r.Provisional
}

// remainingDays is the countdown: days of the limit left after ref's date, 0 on the
// last day, negative and still falling once the limit has passed. A paused timer is
// frozen at its pause, so ref is then the pause's start.
func remainingDays(cal *workcal.Calendar, ref, due time.Time, unit string) int {
	if unit == UnitNatural {
		return civilDaysBetween(ref, workcal.Result{At: due}.LastDay())
	}
	return cal.RemainingWorkingDays(ref, due)
}

// civilDaysBetween counts calendar days from a's Shanghai date to b's.
func civilDaysBetween(a, b time.Time) int {
	return int(civilDate(b).Sub(civilDate(a)).Hours() / 24)
}

func civilDate(t time.Time) time.Time {
	y, m, d := t.In(workcal.Location()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Alert steps of a timer. A timer climbs them in order and never fires one twice; a
// sweep that finds several passed (the node was down) fires only the highest.
const (
	stageNone = iota
	stageYellow
	stageRed
	stageOverdue
	stageSectionHead
	stageLeader
)

// stageTimes are the instants of the steps after stageNone.
func stageTimes(warn, red, due time.Time, sectionHeadAfter, leaderAfter int) [5]time.Time {
	return [5]time.Time{warn, red, due, due.Add(time.Duration(sectionHeadAfter) * time.Second),
		due.Add(time.Duration(leaderAfter) * time.Second)}
}

// nextFire is when the sweep must look at a timer at stage next; nil when it has
// fired everything or belongs to the partner hall.
func nextFire(owned bool, stage int, times [5]time.Time) *time.Time {
	if !owned || stage >= stageLeader {
		return nil
	}
	t := times[stage]
	return &t
}

// Lights.
const (
	LightGreen   = "green"
	LightYellow  = "yellow"
	LightRed     = "red"
	LightOverdue = "overdue"
)

func lightOf(ref, warn, red, due time.Time) string {
	switch {
	case !ref.Before(due):
		return LightOverdue
	case !ref.Before(red):
		return LightRed
	case !ref.Before(warn):
		return LightYellow
	}
	return LightGreen
}
