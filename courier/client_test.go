package courier

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

func testClient(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient("test", ClientConfig{BaseURL: srv.URL, Timeout: 200 * time.Millisecond,
		RatePerSecond: -1, BackoffBase: time.Millisecond, BackoffMax: 2 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func formOf(kv ...string) func() (url.Values, error) {
	return func() (url.Values, error) {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v, nil
	}
}

func TestClientRetriesReadsOnly(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.WriteString(w, "ok")
	})
	var got string
	err := c.Do(context.Background(), Call{Op: "read", Path: "/", Read: true, Form: formOf("a", "1"),
		Decode: func(b []byte) error { got = string(b); return nil }})
	if err != nil || got != "ok" || calls.Load() != 3 {
		t.Fatalf("read: err=%v got=%q calls=%d", err, got, calls.Load())
	}

	calls.Store(0)
	err = c.Do(context.Background(), Call{Op: "write", Path: "/", Form: formOf(), Decode: func([]byte) error { return nil }})
	if !errors.Is(err, ErrTemporary) || calls.Load() != 1 {
		t.Fatalf("write: err=%v calls=%d, want one call and ErrTemporary", err, calls.Load())
	}
}

func TestClientClassifies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		decode error
		want   error
		calls  int32
	}{
		{"rate limit retried then given up", http.StatusTooManyRequests, nil, ErrRateLimited, 4},
		{"decode says rate limited", 200, ErrRateLimited, ErrRateLimited, 4},
		{"client error is final", http.StatusForbidden, nil, nil, 1},
		{"business refusal is final", 200, &APIError{Carrier: "x", Code: "8000"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(tt.status)
			})
			err := c.Do(context.Background(), Call{Op: "q", Path: "/", Read: true, Form: formOf(),
				Decode: func([]byte) error { return tt.decode }})
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if calls.Load() != tt.calls {
				t.Errorf("calls = %d, want %d", calls.Load(), tt.calls)
			}
		})
	}
}

func TestClientTimeoutIsTemporary(t *testing.T) {
	t.Parallel()
	c := testClient(t, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() // with the body read, the server notices the client hanging up
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	err := c.Do(context.Background(), Call{Op: "create", Path: "/", Form: formOf("k", "v"), Decode: func([]byte) error { return nil }})
	if !errors.Is(err, ErrTemporary) {
		t.Fatalf("err = %v, want ErrTemporary", err)
	}
}

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	b := NewTokenBucket(2, 2)
	b.now = func() time.Time { return now }
	if b.take() != 0 || b.take() != 0 {
		t.Fatal("burst not available at start")
	}
	if w := b.take(); w < 400*time.Millisecond || w > 500*time.Millisecond {
		t.Fatalf("empty bucket wait = %v, want 500ms", w)
	}
	now = now.Add(time.Second)
	if b.take() != 0 || b.take() != 0 || b.take() == 0 {
		t.Fatal("refill after 1s should give exactly 2 tokens")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on cancelled ctx = %v", err)
	}
}

func TestClientConfigValidate(t *testing.T) {
	t.Parallel()
	for _, bad := range []ClientConfig{{}, {BaseURL: "ftp://x"}, {BaseURL: "http://x", Timeout: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

// TestReadBody: a push is read whole whatever length it states, and one over
// MaxCallbackBytes is refused.
func TestReadBody(t *testing.T) {
	for _, tt := range []struct {
		size, stated int64
		ok           bool
	}{
		{6000, 6000, true},
		{6000, -1, true},       // no length stated
		{10, 1 << 30, true},    // states more than it sends
		{200 << 10, 100, true}, // states less: the server would cut it; ReadBody reads what the reader gives
		{MaxCallbackBytes, MaxCallbackBytes, true},
		{MaxCallbackBytes + 1, MaxCallbackBytes + 1, false},
	} {
		body := make([]byte, tt.size)
		for i := range body {
			body[i] = byte('a' + i%26)
		}
		r := httptest.NewRequest(http.MethodPost, "/cb", bytes.NewReader(body))
		r.ContentLength = tt.stated
		got, err := ReadBody(r)
		if tt.ok != (err == nil) || (tt.ok && !bytes.Equal(got, body)) {
			t.Errorf("%d bytes stating %d: read %d, %v", tt.size, tt.stated, len(got), err)
		}
	}
}
