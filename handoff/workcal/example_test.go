package workcal_test

import (
	"fmt"
	"time"

	"github.com/tongban/tongban/handoff/workcal"
)

// A licence application accepted on the Friday before the 2026 Spring
// Festival: the make-up Saturday counts, the nine holiday days do not.
func ExampleCalendar_AddWorkingDays() {
	cal := workcal.New()
	accepted := time.Date(2026, 2, 13, 15, 0, 0, 0, workcal.Location())
	r := cal.AddWorkingDays(accepted, 3)
	fmt.Println(r.LastDay().Format(time.DateOnly), r.At.Format(time.DateTime), r.Provisional)
	// Output: 2026-02-25 2026-02-26 00:00:00 false
}

// A deadline reaching into a year the State Council has not published yet
// is provisional until that year is loaded.
func ExampleCalendar_LoadYear() {
	cal := workcal.New()
	start := time.Date(2026, 12, 30, 0, 0, 0, 0, workcal.Location())
	fmt.Println(cal.AddWorkingDays(start, 3).Provisional)
	err := cal.LoadYear([]byte(`{"year":2027,"version":"example only",
		"holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}]}`))
	fmt.Println(err, cal.AddWorkingDays(start, 3).Provisional)
	// Output:
	// true
	// <nil> false
}
