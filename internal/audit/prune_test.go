package audit

import (
	"context"
	"testing"
	"time"
)

func TestPruneKeepsVerification(t *testing.T) {
	t.Parallel()
	pool, c, _ := setup(t)
	ctx := context.Background()
	now := time.Now()
	appendN(t, pool, 10, now.AddDate(-1, 0, 0))
	appendN(t, pool, 5, now.AddDate(0, -1, 0))
	chainAll(t, c)
	appendN(t, pool, 2, now.AddDate(-2, 0, 0)) // old but unchained: must survive
	cutoff := now.Add(-MinRetention)

	n, err := Prune(ctx, pool, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 10 {
		t.Fatalf("pruned %d rows, want 10", n)
	}
	rep, err := Verify(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Checked != 5 || rep.Anchor != 10 || rep.Unchained != 2 {
		t.Fatalf("after prune: %+v", rep)
	}
	// The chain continues from what is left; the next prune takes the late old rows
	// only once everything before them in the chain is old too.
	chainAll(t, c)
	appendN(t, pool, 3, now)
	chainAll(t, c)
	verifyOK(t, pool, 10)
	if n, err := Prune(ctx, pool, cutoff); err != nil || n != 0 {
		t.Fatalf("second prune: %d, %v; want 0 (newer rows precede the old ones in the chain)", n, err)
	}
	if n, err := Prune(ctx, pool, now.Add(time.Hour)); err != nil || n != 10 {
		t.Fatalf("prune all: %d, %v; want 10", n, err)
	}
	rep = verifyOK(t, pool, 0)
	if rep.Anchor != 20 {
		t.Errorf("anchor at %d, want 20", rep.Anchor)
	}
	// With every chained row gone, new rows chain on from the anchor.
	appendN(t, pool, 2, now)
	if n := chainAll(t, c); n != 2 {
		t.Fatalf("chained %d after pruning everything, want 2", n)
	}
	verifyOK(t, pool, 2)
	var anchors int
	pool.QueryRow(ctx, `SELECT count(*) FROM audit_anchor`).Scan(&anchors)
	if anchors != 3 {
		t.Errorf("%d anchors recorded, want genesis and two prunes", anchors)
	}
}

// Pruning leaves a tampered row's detection intact for the rows that remain.
func TestPruneThenTamper(t *testing.T) {
	t.Parallel()
	pool, c, _ := setup(t)
	ctx := context.Background()
	appendN(t, pool, 4, time.Now().AddDate(-1, 0, 0))
	appendN(t, pool, 4, time.Now())
	chainAll(t, c)
	if _, err := Prune(ctx, pool, time.Now().Add(-MinRetention)); err != nil {
		t.Fatal(err)
	}
	tamper(t, pool, `UPDATE audit_log SET detail = '{}' WHERE seq = 5`)
	rep, err := Verify(ctx, pool)
	if err != nil || rep.OK || rep.FirstBroken != 5 {
		t.Fatalf("Verify = %+v, %v; want broken at 5", rep, err)
	}
}
