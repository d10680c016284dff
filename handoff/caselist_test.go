package handoff

import (
	"context"
	"slices"
	"testing"
)

// TestCaseListsByState covers the lists that walk only open cases (a condition the
// statement adds when every state asked for is open) beside those that walk all.
func TestCaseListsByState(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	open, _ := acceptCase(t, a)
	gone, _ := acceptCase(t, a)
	a.must(t, 200, "POST", "/api/v1/cases/"+gone+"/withdraw", Step{Note: "申请人撤回"})

	ids := func(path string) []string {
		var out []string
		for _, c := range a.must(t, 200, "GET", path, nil)["cases"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		path       string
		open, gone bool
	}{
		{"/api/v1/cases", true, true},
		{"/api/v1/cases?state=accepted", true, false},
		{"/api/v1/cases?state=withdrawn", false, true},
		{"/api/v1/cases?direction=outgoing&state=withdrawn", false, true},
		{"/api/v1/cases?direction=incoming&state=withdrawn", false, false},
	} {
		got := ids(tc.path)
		if slices.Contains(got, open) != tc.open || slices.Contains(got, gone) != tc.gone {
			t.Errorf("%s lists %v; want the open case %v, the withdrawn one %v", tc.path, got, tc.open, tc.gone)
		}
	}
	queue, err := a.Node.caseList(context.Background(), "outgoing", windowOpen, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var inQueue []string
	for _, c := range queue {
		inQueue = append(inQueue, c.ID.String())
	}
	if !slices.Contains(inQueue, open) || slices.Contains(inQueue, gone) {
		t.Errorf("the window's queue lists %v; want %s and not the withdrawn %s", inQueue, open, gone)
	}
}

// TestCaseMoveRewritesInPlace checks that what a move changes (state, message
// number, times) is in no index, so PostgreSQL can rewrite the row in place without
// new index entries. pg_stat_xact_user_tables counts the transaction's own updates.
func TestCaseMoveRewritesInPlace(t *testing.T) {
	t.Parallel()
	a, _, _ := newPair(t)
	id, _ := acceptCase(t, a)
	ctx := context.Background()
	tx, err := a.opt.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `UPDATE cases SET state = 'dispatched', out_seq = out_seq + 1, state_changed_at = now(), updated_at = now()
		WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	var hot int64
	if err := tx.QueryRow(ctx, `SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'cases'`).Scan(&hot); err != nil {
		t.Fatal(err)
	}
	if hot != 1 {
		t.Fatalf("a move was rewritten with new index entries (heap-only updates: %d)", hot)
	}
}
