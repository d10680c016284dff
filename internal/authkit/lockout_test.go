package authkit

import (
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	t.Parallel()
	l := Lockout{MaxFailures: 3, Window: 10 * time.Minute, LockFor: 15 * time.Minute}
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	// Simulates the users table across a sequence of failures.
	type state struct {
		failures int
		last     time.Time
		until    time.Time
	}
	fail := func(s state, at time.Time) state {
		n, until := l.Next(s.failures, s.last, at)
		return state{n, at, until}
	}
	var s state
	s = fail(s, t0)
	s = fail(s, t0.Add(time.Minute))
	if s.failures != 2 || !s.until.IsZero() {
		t.Fatalf("after 2 failures: %+v", s)
	}
	s = fail(s, t0.Add(2*time.Minute))
	if want := t0.Add(17 * time.Minute); !s.until.Equal(want) {
		t.Fatalf("third failure: locked until %v, want %v", s.until, want)
	}
	if !Locked(s.until, t0.Add(16*time.Minute)) || Locked(s.until, t0.Add(17*time.Minute)) {
		t.Error("Locked disagrees with lockedUntil")
	}
	// Lock over, failure within Window of the last: locks again at once.
	s = fail(s, t0.Add(12*time.Minute))
	if s.until.IsZero() {
		t.Error("failure right after a lock did not lock again")
	}
	// A failure long after the last one starts a new count.
	s = fail(s, t0.Add(2*time.Hour))
	if s.failures != 1 || !s.until.IsZero() {
		t.Errorf("failure after the window: %+v", s)
	}

	table := []struct {
		name     string
		l        Lockout
		failures int
		last     time.Time
		now      time.Time
		want     int
		locked   bool
	}{
		{"first ever", l, 0, time.Time{}, t0, 1, false},
		{"stale count reset", l, 2, t0, t0.Add(l.Window + time.Second), 1, false},
		{"edge of window counts", l, 2, t0, t0.Add(l.Window), 3, true},
		{"negative stored count", l, -5, t0, t0, 1, false},
		{"disabled", Lockout{}, 100, t0, t0, 101, false},
		{"one strike", Lockout{MaxFailures: 1, Window: time.Minute, LockFor: time.Minute}, 0, time.Time{}, t0, 1, true},
	}
	for _, c := range table {
		n, until := c.l.Next(c.failures, c.last, c.now)
		if n != c.want || !until.IsZero() != c.locked {
			t.Errorf("%s: Next = %d, %v; want %d, locked %v", c.name, n, until, c.want, c.locked)
		}
	}
}
