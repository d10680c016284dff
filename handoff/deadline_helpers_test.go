package handoff

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/internal/pii"
)

// fakeClock is the injected wall clock of the deadline tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// clockHall says how to start a hall for the deadline tests.
type clockHall struct {
	clock *fakeClock
	pool  *pgxpool.Pool      // nil: a fresh database
	priv  ed25519.PrivateKey // nil: a fresh key
	// autoSweep keeps the cron tick and the notifier worker; otherwise the test sweeps
	// and notifies by hand, so what each round does is deterministic.
	autoSweep bool
	notifier  Notifier
}

// startClockHall is startHall with an injected clock, a chosen database and a say
// over the sweep's schedule.
func startClockHall(t testing.TB, code string, cfg bus.Config, o clockHall) *testHall {
	t.Helper()
	if o.priv == nil {
		_, o.priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	if o.pool == nil {
		o.pool = pgtest.New(t, Sources()...)
	}
	data, search, sealer := hallKeys(t)
	// A hall tested alone still dispatches: its partner gets a throwaway sealing key
	// (newClockPair replaces it with the real one).
	throwaway, _ := pii.GenerateX25519()
	sealKeys := map[string]*ecdh.PublicKey{gz: throwaway.PublicKey(), fs: throwaway.PublicKey()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	n, err := NewNode(Options{Code: code, DB: o.pool, Bus: cfg, Keys: NewKeyring(code, o.priv), Log: log, Clock: o.clock.Now,
		Data: data, Search: search, Sealer: sealer, SealKeys: sealKeys})
	if err != nil {
		t.Fatal(err)
	}
	d := n.Deadlines()
	if !o.autoSweep {
		// The test sweeps and notifies by hand: nothing runs in the background, not
		// even the sweep and the notification at start-up.
		d.manual = true
	}
	if o.notifier != nil {
		d.UseNotifier(o.notifier)
	}
	if cat, err := catalog.Load(code); err == nil {
		if _, err := n.LoadCatalogue(context.Background(), cat); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	srv := httptest.NewServer(n.Handler())
	h := &testHall{Node: n, code: code, srv: srv, base: srv.URL, priv: o.priv, sealer: sealer, sealKeys: sealKeys,
		tokens: staffTokens(t, n.Auth(), code)}
	var once sync.Once
	h.halt = func() { cancel(); <-done }
	h.stop = func() { once.Do(func() { srv.Close(); h.halt() }) }
	t.Cleanup(h.stop)
	return h
}

// newClockPair is newPair on one fake clock.
func newClockPair(t testing.TB, clock *fakeClock) (*testHall, *testHall) {
	t.Helper()
	ctx := context.Background()
	e, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cfg := e.Config()
	if _, err := bus.EnsureTopics(ctx, cfg, bus.DefaultTopics([]string{gz, fs}, 4, 1)); err != nil {
		t.Fatal(err)
	}
	a := startClockHall(t, gz, cfg, clockHall{clock: clock})
	b := startClockHall(t, fs, cfg, clockHall{clock: clock})
	trust(a, b)
	trust(b, a)
	return a, b
}

// timerRow is a timer as the tests check it.
type timerRow struct {
	Kind, Owner, State, Handler string
	Started, Warn, Red, Due     time.Time
	Stage                       int
	Outcome                     *string
	Provisional                 bool
	Fire                        *time.Time
}

func (h *testHall) timer(t testing.TB, caseID, kind string) (timerRow, bool) {
	t.Helper()
	var r timerRow
	err := h.opt.DB.QueryRow(context.Background(), `SELECT kind, owner, state, handler, started_at, warn_at, red_at, due_at,
		stage, outcome, provisional, fire_at FROM timers WHERE case_id = $1 AND kind = $2`, caseID, kind).Scan(&r.Kind, &r.Owner,
		&r.State, &r.Handler, &r.Started, &r.Warn, &r.Red, &r.Due, &r.Stage, &r.Outcome, &r.Provisional, &r.Fire)
	if err != nil {
		return r, false
	}
	return r, true
}

func (h *testHall) mustTimer(t testing.TB, caseID, kind string) timerRow {
	t.Helper()
	r, ok := h.timer(t, caseID, kind)
	if !ok {
		t.Fatalf("%s has no %s timer for case %s", h.code, kind, caseID)
	}
	return r
}

func (h *testHall) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.opt.DB.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (h *testHall) sweep(t testing.TB) int {
	t.Helper()
	n, err := h.Deadlines().SweepOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newEmbeddedBus starts a broker with the hall topics, for tests with one hall.
func newEmbeddedBus(t testing.TB) bus.Config {
	t.Helper()
	ctx := context.Background()
	e, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cfg := e.Config()
	if _, err := bus.EnsureTopics(ctx, cfg, bus.DefaultTopics([]string{gz, fs}, 4, 1)); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// recordingNotifier remembers what it was told; fail makes it refuse.
type recordingNotifier struct {
	mu     sync.Mutex
	alerts []Alert
	fail   bool
}

func (r *recordingNotifier) Notify(_ context.Context, a Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return io.ErrUnexpectedEOF
	}
	r.alerts = append(r.alerts, a)
	return nil
}

func (r *recordingNotifier) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.alerts)
}
