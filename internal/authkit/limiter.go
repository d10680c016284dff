package authkit

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Limiter is a token bucket per key (a client address, a username): each key may make
// burst requests at once and then rate per second. It lives in memory, so each replica
// limits on its own; that is enough to make online password guessing slow, and the
// lockout stored with the user covers what spreads over replicas.
//
// Memory is bounded: a bucket that has refilled completely is the same as no bucket, so
// idle keys are dropped in sweeps that run when the map has doubled since the last one.
// Should a flood of distinct keys still exceed maxKeys, the fullest buckets are dropped
// first; dropping a full bucket changes nothing, dropping a nearly full one gives its
// key at most a few extra requests.
type Limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// MaxLimiterKeys bounds the keys one Limiter tracks.
const MaxLimiterKeys = 100_000

const minSweep = 1024

// NewLimiter returns a Limiter allowing burst requests at once and rate per second per
// key. now is the clock (time.Now when nil), injected so tests need not sleep. rate must
// be positive: a bucket that never refills could never be forgotten.
func NewLimiter(rate float64, burst int, now func() time.Time) *Limiter {
	if !(rate > 0) || math.IsInf(rate, 0) {
		panic("authkit: NewLimiter: rate must be a positive number")
	}
	if burst < 1 {
		burst = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}, nextSweep: minSweep}
}

// Allow takes one token from key's bucket and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.nextSweep {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = l.level(b, now)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Forget drops key's bucket, e.g. after a successful login from that address.
func (l *Limiter) Forget(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// Len is the number of keys tracked, for tests and metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// level is b's token count at now. A clock that went backwards refills nothing.
func (l *Limiter) level(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.last).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return min(l.burst, b.tokens+elapsed*l.rate)
}

// sweep drops full buckets, then, if still at the cap, the fullest ones down to 7/8 of
// it. l.mu is held.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= MaxLimiterKeys {
		type kv struct {
			key    string
			tokens float64
		}
		all := make([]kv, 0, len(l.buckets))
		for k, b := range l.buckets {
			all = append(all, kv{k, l.level(b, now)})
		}
		slices.SortFunc(all, func(a, b kv) int { return -cmpFloat(a.tokens, b.tokens) })
		for _, e := range all[:len(all)-MaxLimiterKeys*7/8] {
			delete(l.buckets, e.key)
		}
	}
	l.nextSweep = min(max(2*len(l.buckets), minSweep), MaxLimiterKeys)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
