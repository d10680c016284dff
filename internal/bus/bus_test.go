package bus

import (
	"context"
	"net"
	"testing"
	"time"
)

// testTimeout bounds every test so a broken group protocol fails instead of
// hanging the run.
const testTimeout = 30 * time.Second

// startBroker hands each test a broker of its own, so tests run in parallel
// without sharing topics or groups.
func startBroker(t testing.TB, opts ...EmbeddedOption) *Embedded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func ensure(t testing.TB, ctx context.Context, cfg Config, specs ...TopicSpec) Report {
	t.Helper()
	rep, err := EnsureTopics(ctx, cfg, specs)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func fetch(t testing.TB, ctx context.Context, r *Reader) Message {
	t.Helper()
	m, err := r.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
