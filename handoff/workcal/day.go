package workcal

import (
	"fmt"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve even on hosts without a zoneinfo database.
)

// shanghai is the zone every limit is counted in: a case accepted at 23:30
// Beijing time was accepted on that Beijing date, even if the timestamp
// arrives in UTC where it is still the previous afternoon.
var shanghai = loadShanghai()

func loadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// Unreachable while time/tzdata is linked in; kept so that a build
		// that strips it still counts days on the right side of midnight.
		// China has had no daylight saving time since 1991, so a fixed
		// offset is exact for every year the calendar holds data for.
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
}

// Location returns the Asia/Shanghai zone that all calendar arithmetic uses.
func Location() *time.Location { return shanghai }

const secondsPerDay = 24 * 60 * 60

// day is a civil date in Shanghai counted in days since 1970-01-01. Walking
// whole days as integers keeps the loops free of clock times and zone
// lookups; times are converted only at the edges.
type day int

// dayOf returns the Shanghai date of t.
func dayOf(t time.Time) day {
	y, m, d := t.In(shanghai).Date()
	return civilDay(y, m, d)
}

// civilDay returns the day for a calendar date. UTC midnight is an exact
// multiple of a day in Unix time, so the division never rounds.
func civilDay(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC().Date()
}

func (d day) year() int {
	y, _, _ := d.date()
	return y
}

// start returns 00:00 Shanghai time on d.
func (d day) start() time.Time {
	y, m, dd := d.date()
	return time.Date(y, m, dd, 0, 0, 0, 0, shanghai)
}

func (d day) weekday() time.Weekday {
	// 1970-01-01 was a Thursday; the extra +7 keeps the remainder
	// non-negative for dates before 1970.
	return time.Weekday((int(d)%7 + 7 + int(time.Thursday)) % 7)
}

func (d day) weekend() bool {
	wd := d.weekday()
	return wd == time.Saturday || wd == time.Sunday
}

func (d day) String() string {
	y, m, dd := d.date()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}
