package audit

import (
	"context"
	"testing"
	"time"
)

// A rolled-back append leaves a hole in seq. The chainer waits Grace for it, then
// chains past it, and the chain verifies.
func TestRolledBackAppendLeavesGap(t *testing.T) {
	t.Parallel()
	pool, c, clk := setup(t)
	ctx := context.Background()
	appendN(t, pool, 1, time.Time{}) // seq 1
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := Append(ctx, tx, Entry{Actor: "u", Action: "case.accept", Outcome: "ok"}); err != nil { // seq 2
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	appendN(t, pool, 2, time.Time{}) // seq 3, 4

	if n := chainAll(t, c); n != 1 {
		t.Fatalf("chained %d before the grace period, want only seq 1", n)
	}
	clk.add(c.Grace - time.Millisecond)
	if n := chainAll(t, c); n != 0 {
		t.Fatalf("chained %d rows just before the grace period ended", n)
	}
	clk.add(time.Millisecond)
	if n := chainAll(t, c); n != 2 {
		t.Fatalf("chained %d after the grace period, want 2", n)
	}
	verifyOK(t, pool, 3)
}

// A transaction that commits after its gap was given up on is chained at the tail,
// out of seq order, and the chain still verifies.
func TestLateCommitChainedAtTail(t *testing.T) {
	t.Parallel()
	pool, c, clk := setup(t)
	ctx := context.Background()
	slow, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx)
	if err := Append(ctx, slow, Entry{Actor: "slow", Action: "case.accept", Outcome: "ok"}); err != nil { // seq 1
		t.Fatal(err)
	}
	appendN(t, pool, 2, time.Time{}) // seq 2, 3, committed
	if n := chainAll(t, c); n != 0 {
		t.Fatalf("chained %d while seq 1 is in flight", n)
	}
	clk.add(c.Grace)
	if n := chainAll(t, c); n != 2 {
		t.Fatalf("chained %d after grace, want 2", n)
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := chainAll(t, c); n != 1 {
		t.Fatalf("late row: chained %d, want 1", n)
	}
	var pos int64
	pool.QueryRow(ctx, `SELECT chain_pos FROM audit_log WHERE seq = 1`).Scan(&pos)
	if pos != 3 {
		t.Errorf("late row at chain position %d, want 3 (the tail)", pos)
	}
	appendN(t, pool, 1, time.Time{}) // seq 4 follows directly
	if n := chainAll(t, c); n != 1 {
		t.Fatalf("chained %d after the late row, want 1", n)
	}
	verifyOK(t, pool, 4)
}
