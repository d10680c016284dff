package workcal

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// embedded holds the years published when this binary was built; later years
// arrive through LoadYear without a release.
//
//go:embed data/*.json
var embedded embed.FS

// Calendar answers working-day questions. It is safe for concurrent use:
// readers take an immutable snapshot of the loaded years with one atomic load
// and never block, so a LoadYear during a busy day cannot stall deadline
// computations, and a computation never sees half of a replaced year.
type Calendar struct {
	mu    sync.Mutex // serialises writers; readers do not take it
	years atomic.Pointer[map[int]*yearTable]
}

// New returns a calendar holding the embedded years. It panics if the
// embedded data is invalid: that data is part of the binary and the package
// tests validate it, so failing here means a broken build, not bad input.
func New() *Calendar {
	c := &Calendar{}
	c.years.Store(&map[int]*yearTable{})
	files, err := fs.Glob(embedded, "data/*.json")
	if err != nil {
		panic(fmt.Sprintf("workcal: new: %v", err))
	}
	for _, name := range files {
		data, err := embedded.ReadFile(name)
		if err == nil {
			_, err = c.load(data)
		}
		if err != nil {
			panic(fmt.Sprintf("workcal: new: embedded %s: %v", name, err))
		}
	}
	return c
}

// LoadYear validates a year file and adds its year to the calendar,
// replacing any data already held for that year. On error the calendar is
// unchanged; errors about the content wrap ErrInvalidData.
func (c *Calendar) LoadYear(data []byte) error {
	if _, err := c.load(data); err != nil {
		return fmt.Errorf("workcal: load year: %w", err)
	}
	return nil
}

func (c *Calendar) load(data []byte) (*yearTable, error) {
	y, err := parseYear(data)
	if err != nil {
		return nil, err
	}
	t := buildTable(y)
	c.mu.Lock()
	defer c.mu.Unlock()
	// Copy on write: snapshots already handed to readers stay untouched.
	next := maps.Clone(*c.snapshot())
	next[t.year] = t
	c.years.Store(&next)
	return t, nil
}

func (c *Calendar) snapshot() *map[int]*yearTable { return c.years.Load() }

// Years returns the years the calendar holds data for, in ascending order.
func (c *Calendar) Years() []int {
	return slices.Sorted(maps.Keys(*c.snapshot()))
}

// IsWorkingDay reports whether the Shanghai date of t is a working day.
// known is false when t's year has no data; the answer is then only the
// weekends-are-rest guess and may change once the year is published.
func (c *Calendar) IsWorkingDay(t time.Time) (working, known bool) {
	w := c.walk()
	working = w.working(dayOf(t))
	return working, !w.provisional
}

// table returns the data held for a year, or nil.
func (c *Calendar) table(year int) *yearTable { return (*c.snapshot())[year] }
