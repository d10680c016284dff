package audit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fakeClock drives the chainer's gap timer.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

func setup(t *testing.T) (*pgxpool.Pool, *Chainer, *fakeClock) {
	t.Helper()
	pool := pgtest.New(t, Migrations())
	clk := newFakeClock()
	c := NewChainer(pool, nil)
	c.Now = clk.now
	return pool, c, clk
}

func appendN(t *testing.T, pool *pgxpool.Pool, n int, at time.Time) {
	t.Helper()
	for i := range n {
		e := Entry{At: at, Actor: "clerk1", Role: "window_clerk", Action: "case.accept",
			Target: fmt.Sprintf("case-%d", i), Outcome: "ok", Detail: map[string]any{"from": "accepted", "i": i}}
		if err := Append(context.Background(), pool, e); err != nil {
			t.Fatal(err)
		}
	}
}

// chainAll chains until nothing is left, failing if rows stay unchained.
func chainAll(t *testing.T, c *Chainer) int {
	t.Helper()
	total := 0
	for range 1000 {
		n, err := c.ChainOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("chainer never finished")
	return 0
}

func verifyOK(t *testing.T, pool *pgxpool.Pool, checked int64) Report {
	t.Helper()
	rep, err := Verify(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != checked || rep.Unchained != 0 || rep.FirstBroken != 0 {
		t.Fatalf("Verify = %+v; want OK with %d checked", rep, checked)
	}
	return rep
}

func TestEmptyLogVerifies(t *testing.T) {
	t.Parallel()
	pool, c, _ := setup(t)
	if n := chainAll(t, c); n != 0 {
		t.Errorf("chained %d rows of an empty log", n)
	}
	rep := verifyOK(t, pool, 0)
	if rep.Head != genesisHash {
		t.Errorf("head of an empty chain %q, want genesis", rep.Head)
	}
}

func TestAppendAndChain(t *testing.T) {
	t.Parallel()
	pool, c, _ := setup(t)
	ctx := context.Background()
	appendN(t, pool, 3, time.Time{})
	rep, _ := Verify(ctx, pool)
	if !rep.OK || rep.Unchained != 3 || rep.Checked != 0 {
		t.Fatalf("before chaining: %+v", rep)
	}
	if n := chainAll(t, c); n != 3 {
		t.Fatalf("chained %d, want 3", n)
	}
	verifyOK(t, pool, 3)

	var detail, prev, hash string
	var pos int64
	if err := pool.QueryRow(ctx, `SELECT detail::text, chain_pos, prev_hash, hash FROM audit_log WHERE seq = 1`).Scan(&detail, &pos, &prev, &hash); err != nil {
		t.Fatal(err)
	}
	if detail != `{"i": 0, "from": "accepted"}` || pos != 1 || prev != genesisHash || len(hash) != 64 {
		t.Errorf("row 1: detail %s pos %d prev %s hash %s", detail, pos, prev, hash)
	}
}

func TestAppendInput(t *testing.T) {
	t.Parallel()
	pool, c, _ := setup(t)
	ctx := context.Background()
	if err := Append(ctx, pool, Entry{Actor: "x", Outcome: "ok"}); err == nil || !strings.HasPrefix(err.Error(), "audit: ") {
		t.Errorf("missing action: %v", err)
	}
	if err := Append(ctx, pool, Entry{Action: "a", Outcome: "ok", Detail: make(chan int)}); err == nil {
		t.Error("unmarshalable detail accepted")
	}
	// A hostile username from a failed login must not make the audit write fail.
	if err := Append(ctx, pool, Entry{Actor: "ad\x00min\xff", Action: "auth.login", Outcome: "failed"}); err != nil {
		t.Fatalf("NUL in actor: %v", err)
	}
	var actor, detail string
	var at time.Time
	pool.QueryRow(ctx, `SELECT actor, detail::text, at FROM audit_log WHERE action = 'auth.login'`).Scan(&actor, &detail, &at)
	if actor != "ad\uFFFDmin\uFFFD" || detail != "{}" || time.Since(at) > time.Minute {
		t.Errorf("stored actor %q detail %s at %v", actor, detail, at)
	}
	chainAll(t, c)
	verifyOK(t, pool, 1)
}

// Appends from many concurrent transactions, with two chainers running as two replicas
// would, end up in one chain that verifies.
func TestConcurrentAppendsVerify(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t, Migrations())
	ctx, cancel := context.WithCancel(context.Background())
	var runs sync.WaitGroup
	for range 2 {
		c := NewChainer(pool, nil)
		c.Poll = 5 * time.Millisecond
		c.Batch = 37
		runs.Go(func() {
			if err := c.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	const workers, each = 16, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
					return Append(context.Background(), tx, Entry{Actor: fmt.Sprint("u", w), Action: "case.move", Target: fmt.Sprint("c", i), Outcome: "ok"})
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(time.Minute)
	for {
		rep, err := Verify(context.Background(), pool)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("chain broken under concurrency: %+v", rep)
		}
		if rep.Unchained == 0 && rep.Checked == workers*each {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all rows chained: %+v", rep)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	runs.Wait()
}

func TestRunStopsWithContext(t *testing.T) {
	t.Parallel()
	pool, c, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	appendN(t, pool, 2, time.Time{})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
}
