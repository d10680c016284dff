package authkit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock for the limiter.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

func TestLimiterBurstAndRefill(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := NewLimiter(0.5, 3, c.now) // one every 2 s, 3 at once
	for i := range 3 {
		if !l.Allow("1.2.3.4") {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if l.Allow("1.2.3.4") {
		t.Fatal("fourth request allowed")
	}
	if !l.Allow("5.6.7.8") {
		t.Fatal("other key limited")
	}
	c.add(1999 * time.Millisecond)
	if l.Allow("1.2.3.4") {
		t.Fatal("allowed before a token refilled")
	}
	c.add(time.Millisecond)
	if !l.Allow("1.2.3.4") || l.Allow("1.2.3.4") {
		t.Fatal("want exactly one after 2 s")
	}
	c.add(time.Hour)
	for i := range 3 {
		if !l.Allow("1.2.3.4") {
			t.Fatalf("after an hour, request %d refused: burst not restored", i+1)
		}
	}
	if l.Allow("1.2.3.4") {
		t.Fatal("refill exceeded burst")
	}
	c.add(-time.Hour) // clock stepped back: no refill, no panic
	if l.Allow("1.2.3.4") {
		t.Fatal("clock going back refilled the bucket")
	}
	l.Forget("1.2.3.4")
	if !l.Allow("1.2.3.4") {
		t.Fatal("Forget did not reset")
	}
}

func TestLimiterEvictsIdleKeys(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := NewLimiter(1, 2, c.now)
	for i := range 5000 {
		l.Allow(fmt.Sprint("k", i))
		if i%100 == 0 {
			c.add(3 * time.Second) // older keys have refilled fully by now
		}
	}
	if n := l.Len(); n > 2*minSweep {
		t.Errorf("%d keys tracked; idle keys are not evicted", n)
	}
	// A key that is still limited is not forgotten by a sweep.
	l.Allow("hot")
	l.Allow("hot")
	for i := range 3000 {
		l.Allow(fmt.Sprint("x", i))
	}
	if l.Allow("hot") {
		t.Error("a limited key was evicted and got a fresh burst")
	}
}

func TestLimiterCap(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := NewLimiter(0.001, 1, c.now) // nothing refills during the test
	for i := range MaxLimiterKeys + 10 {
		l.Allow(fmt.Sprint(i))
	}
	if n := l.Len(); n > MaxLimiterKeys {
		t.Errorf("%d keys tracked, cap %d", n, MaxLimiterKeys)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	c := newClock()
	l := NewLimiter(1, 10, c.now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if l.Allow("shared") {
					allowed.Add(1)
				}
				l.Allow(fmt.Sprint(g, "-", i))
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Errorf("shared key allowed %d times without time passing, want burst 10", got)
	}
}

func TestNewLimiterRejectsBadRate(t *testing.T) {
	t.Parallel()
	for _, r := range []float64{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("rate %v accepted", r)
				}
			}()
			NewLimiter(r, 1, nil)
		}()
	}
}
