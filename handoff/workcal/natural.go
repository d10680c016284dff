package workcal

import "time"

// NaturalOption adjusts AddNaturalDays.
type NaturalOption func(*naturalConfig)

type naturalConfig struct {
	extendPastRestDays bool
}

// ExtendPastRestDays sets whether a natural-day limit whose last day is a
// rest day runs on to the next working day. It is on by default, which is
// the statutory rule; turn it off for promised limits that a matter's rules
// define as plain calendar days.
func ExtendPastRestDays(on bool) NaturalOption {
	return func(c *naturalConfig) { c.extendPastRestDays = on }
}

// AddNaturalDays returns the deadline of a limit of n natural (calendar)
// days that starts with the event at start. As with working days the day of
// start does not count (民法典 art. 201: 开始的当日不计入), so the last day is
// start's Shanghai date plus n days.
//
// If that last day is a rest day, the limit ends instead at the end of the
// first working day after it. This is 民法典 art. 203 (期间的最后一日是法定休假
// 日的，以法定休假日结束的次日为期间的最后一日), the same rule 行政诉讼法 and
// 民事诉讼法 practice apply. Following the courts' long-standing reading
// (法定休假日 includes the weekend, and a make-up working day is not a rest
// day), every rest day of the calendar qualifies, not only the named festival
// days: a limit ending on Sunday 15 Feb 2026 runs to Tuesday 24 Feb, one
// ending on the make-up Saturday 14 Feb 2026 ends that Saturday. Disable the
// extension with ExtendPastRestDays(false).
//
// The extension applies only for n > 0. Provisional is set if a day examined
// for the extension lies in a year without data; without the extension the
// result never depends on the calendar.
func (c *Calendar) AddNaturalDays(start time.Time, n int, opts ...NaturalOption) Result {
	cfg := naturalConfig{extendPastRestDays: true}
	for _, o := range opts {
		o(&cfg)
	}
	w := c.walk()
	last := dayOf(start) + day(n)
	if cfg.extendPastRestDays && n > 0 {
		for !w.working(last) {
			last++
		}
	}
	return Result{At: (last + 1).start(), Provisional: w.provisional}
}
