package workcal

import "time"

// Result is a computed deadline.
type Result struct {
	// At is the exclusive end of the limit: 00:00 Shanghai time on the day
	// after the limit's last day. A case is within the limit while
	// now.Before(At). Using the next midnight rather than 23:59:59.999
	// keeps comparisons exact and needs no agreement on precision.
	At time.Time
	// Provisional is true when the result depends on a year the calendar
	// has no data for, so it may move once that year is loaded.
	Provisional bool
}

// LastDay returns 00:00 Shanghai time on the last day of the limit, the
// date to show to people ("办结时限：2026-02-25").
func (r Result) LastDay() time.Time {
	return (dayOf(r.At) - 1).start()
}

// AddWorkingDays returns the deadline of a limit of n working days that
// starts with the event at start.
//
// The day of start never counts, whatever kind of day it is: counting begins
// the next day (次日起算), as the Administrative Licensing Law's working-day
// limits are applied. The limit ends at the end of the n-th working day after
// start's Shanghai date, and At is the following midnight. So an application
// accepted on Friday 13 Feb 2026 with a 3-working-day limit counts Saturday
// 14 Feb (a make-up working day), skips the Spring Festival 15–23 Feb, counts
// 24 and 25 Feb, and is due by the end of Wednesday 25 Feb 2026.
//
// For n == 0 the limit ends with start's own day. For negative n the walk
// goes backwards: the result is the end of the |n|-th working day before
// start's day. Provisional is set if any day examined lies in a year without
// data.
func (c *Calendar) AddWorkingDays(start time.Time, n int) Result {
	w := c.walk()
	last := w.advance(dayOf(start), n)
	return Result{At: (last + 1).start(), Provisional: w.provisional}
}

// WorkingDaysBetween counts the working days strictly after a's Shanghai date
// up to and including b's: the number of working days that have elapsed on
// a limit started at a when it is b. It is negative, with the same magnitude
// as WorkingDaysBetween(b, a), when b's date is before a's, and 0 on the same
// date. provisional is true if any counted day lies in a year without data.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) (n int, provisional bool) {
	w := c.walk()
	n = w.between(dayOf(a), dayOf(b))
	return n, w.provisional
}

// RemainingWorkingDays returns how many working days of the limit ending at
// deadline (an exclusive end such as Result.At) are left after now's date:
// the working days strictly after now's day up to and including the
// deadline's last day. It is 0 on the last day itself. Once the last day has
// passed it is -k, where k is the number of working days elapsed after the
// last day up to and including today, so it keeps falling while a case stays
// overdue.
//
// It is a count of working days, not the overdue state: on a rest day just
// after the deadline no working day has been lost yet and it is still 0.
// Decide overdue with !now.Before(deadline).
func (c *Calendar) RemainingWorkingDays(now, deadline time.Time) int {
	w := c.walk()
	last := dayOf(deadline.Add(-time.Nanosecond))
	return w.between(dayOf(now), last)
}
