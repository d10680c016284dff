package handoff

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tongban/tongban/internal/pg/pgtest"
)

// BenchmarkSweep fills the timers table with 1,000,000 open timers, 100,000 of them
// due, and measures how fast one sweep fires the due ones (alert row, signed envelope
// and outbox row each, in batches). It prints the sweep query's plan first: an index
// range scan on timers_fire that reads the claimed rows and stops, so its cost does
// not grow with the 900,000 open timers that are not due.
//
//	go test ./handoff/ -run '^$' -bench BenchmarkSweep -benchtime 1x
func BenchmarkSweep(b *testing.B) {
	const open, due = 1_000_000, 100_000
	ctx := context.Background()
	clock := newFakeClock(at(b, "2026-03-02 10:00"))
	pool := pgtest.New(b, Migrations())
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	n, err := NewNode(Options{Code: gz, DB: pool, Keys: NewKeyring(gz, priv), Log: slog.New(slog.DiscardHandler), Clock: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	d := n.Deadlines()
	start := time.Now()
	insertTimers(b, pool, gz, open, due, at(b, "2026-03-02 09:00"))
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE timers`); err != nil {
		b.Fatal(err)
	}
	b.Logf("inserted %d open timers (%d due) in %s", open, due, time.Since(start).Round(time.Millisecond))
	printSweepPlan(b, d)

	var fired int
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 {
			b.StopTimer()
			rearm(b, d)
			b.StartTimer()
		}
		t0 := time.Now()
		fired, err = d.SweepOnce(ctx)
		elapsed = time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if fired != due {
			b.Fatalf("fired %d, want %d", fired, due)
		}
	}
	b.StopTimer()
	rate := float64(fired) / elapsed.Seconds()
	b.ReportMetric(rate, "fired/s")
	var alerts, outbox int
	_ = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM deadline_alerts), (SELECT count(*) FROM outbox)`).Scan(&alerts, &outbox)
	fmt.Printf("swept %d due of %d open timers in %s: %d alerts, %d outbox rows, batch %d\n",
		fired, open, elapsed.Round(time.Millisecond), alerts, outbox, d.Batch)
	fmt.Printf("RESULT fired_per_s=%.0f open_timers=%d\n", rate, open)
}

// printSweepPlan shows the plan and the buffers the sweep's claim touches.
func printSweepPlan(b *testing.B, d *Deadlines) {
	b.Helper()
	ctx := context.Background()
	tx, err := d.n.opt.DB.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) `+sweepQuery, d.now(), d.Batch)
	if err != nil {
		b.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("sweep claim plan (LIMIT %d):\n  %s\n", d.Batch, strings.Join(plan, "\n  "))
	if !strings.Contains(strings.Join(plan, "\n"), "timers_fire") {
		b.Fatal("the sweep does not use the partial index timers_fire")
	}
}

// rearm puts the fired timers back before their yellow step, for a further iteration.
func rearm(b *testing.B, d *Deadlines) {
	_, err := d.n.opt.DB.Exec(context.Background(), `UPDATE timers SET stage = 0, fire_at = warn_at WHERE stage = 1;
		TRUNCATE deadline_alerts; DELETE FROM outbox; VACUUM ANALYZE timers`)
	if err != nil {
		b.Fatal(err)
	}
}
