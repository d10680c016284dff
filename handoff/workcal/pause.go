package workcal

import "time"

// Extend moves a working-day deadline to account for a pause of the clock
// (补正, hearings, testing and other periods the law excludes from the limit).
//
// The pause consumes the working days strictly after pausedFrom's date up to
// and including pausedTo's date, that is WorkingDaysBetween(pausedFrom,
// pausedTo), and the deadline's last day moves forward by that many working
// days. This is 次日起算 applied to both ends: the day the clock stops has
// already been running and stays counted, and the day it restarts is an
// event day, so counting resumes the next day. Rest days cost nothing, so a
// pause that starts during a holiday consumes no working days until the
// holiday is over, and a pause from Friday to Monday consumes one (Monday).
// While working days remained when the pause began, moving the deadline by
// the consumed days gives the same day as freezing those remaining days and
// counting them again after pausedTo, so the two usual views agree.
//
// deadline is an exclusive end as in Result.At. The deadline is returned
// unchanged when pausedTo is not after pausedFrom, when the pause consumed
// no working day, or when the pause began at or after the deadline: a case
// that is already overdue stays overdue, and its negative remaining days stay
// visible. For a pause still running, pass the current time as pausedTo to
// see the deadline as it would stand if the clock restarted now.
//
// Provisional is set if any day examined for the pause or the shift lies in
// a year without data; it says nothing about how deadline itself was
// computed, so combine it with that result's flag.
func (c *Calendar) Extend(deadline, pausedFrom, pausedTo time.Time) Result {
	if !pausedTo.After(pausedFrom) || !pausedFrom.Before(deadline) {
		return Result{At: deadline}
	}
	w := c.walk()
	consumed := w.between(dayOf(pausedFrom), dayOf(pausedTo))
	if consumed == 0 {
		return Result{At: deadline, Provisional: w.provisional}
	}
	last := w.advance(dayOf(deadline.Add(-time.Nanosecond)), consumed)
	return Result{At: (last + 1).start(), Provisional: w.provisional}
}
