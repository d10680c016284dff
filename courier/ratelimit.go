package courier

import (
	"context"
	"sync"
	"time"
)

// TokenBucket is a small rate limiter: rate tokens a second, up to burst saved. Each
// carrier's client has its own, since each carrier counts our calls on its own.
type TokenBucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; <= 0 means unlimited
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewTokenBucket starts full, so the first burst calls go out at once.
func NewTokenBucket(rate float64, burst int) *TokenBucket {
	if burst < 1 {
		burst = 1
	}
	return &TokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), now: time.Now}
}

// Wait takes a token, blocking until one is there or ctx ends.
func (b *TokenBucket) Wait(ctx context.Context) error {
	for {
		wait := b.take()
		if wait == 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// take removes a token and returns 0, or returns how long until one is there.
func (b *TokenBucket) take() time.Duration {
	if b.rate <= 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	wait := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	return max(wait, time.Millisecond)
}
