package workcal

import "math/bits"

// yearTable is one year's working days as a bitmap, so deadline arithmetic
// tests one bit per day instead of searching holiday lists. Tables are never
// modified after they are built, which lets readers share them without locks.
type yearTable struct {
	year        int
	first, last day       // 1 January and 31 December
	known       bool      // false: a weekends-only guess for a year without data
	bits        [6]uint64 // bit i set: day first+i is a working day
	data        *yearData // nil when !known
}

// guessTable is the best available answer for a year nobody has published:
// Monday to Friday work, weekends rest.
func guessTable(year int) *yearTable {
	t := &yearTable{year: year, first: civilDay(year, 1, 1), last: civilDay(year, 12, 31)}
	for d := t.first; d <= t.last; d++ {
		t.set(d, !d.weekend())
	}
	return t
}

// buildTable lays the published holidays and make-up days over the
// weekends-only guess.
func buildTable(y *yearData) *yearTable {
	t := guessTable(y.year)
	t.known, t.data = true, y
	for _, h := range y.holidays {
		for d := h.from; d <= h.to; d++ {
			t.set(d, false)
		}
	}
	for _, d := range y.workdays {
		t.set(d, true)
	}
	return t
}

func (t *yearTable) set(d day, working bool) {
	i := uint(d - t.first)
	if working {
		t.bits[i/64] |= 1 << (i % 64)
	} else {
		t.bits[i/64] &^= 1 << (i % 64)
	}
}

func (t *yearTable) working(d day) bool {
	i := uint(d - t.first)
	return t.bits[i/64]&(1<<(i%64)) != 0
}

// workingDays counts the working days of the whole year.
func (t *yearTable) workingDays() int {
	n := 0
	for _, w := range t.bits {
		n += bits.OnesCount64(w)
	}
	return n
}
