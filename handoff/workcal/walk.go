package workcal

// walker steps through days against one snapshot of the calendar. It keeps
// the current year's table, so a walk pays one map lookup per year it
// crosses rather than one per day, and it remembers whether any day it
// examined had to be guessed.
type walker struct {
	years       map[int]*yearTable
	cur         *yearTable
	provisional bool
}

func (c *Calendar) walk() walker { return walker{years: *c.snapshot()} }

func (w *walker) working(d day) bool {
	if w.cur == nil || d < w.cur.first || d > w.cur.last {
		y := d.year()
		w.cur = w.years[y]
		if w.cur == nil {
			w.cur = guessTable(y)
		}
	}
	if !w.cur.known {
		w.provisional = true
	}
	return w.cur.working(d)
}

// advance returns the n-th working day after d, or before it for negative n.
// For n == 0 it returns d without examining any day.
func (w *walker) advance(d day, n int) day {
	step := day(1)
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d += step
		if w.working(d) {
			n--
		}
	}
	return d
}

// between counts working days in (a, b], negated when b is before a.
func (w *walker) between(a, b day) int {
	sign := 1
	if b < a {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a + 1; d <= b; d++ {
		if w.working(d) {
			n++
		}
	}
	return sign * n
}
