package audit

import (
	"context"
	"testing"
	"time"
)

// TestAppendManyMatchesAppend writes the same entries one at a time and all at once:
// the rows are the same, in the order given, unchained, and chain and verify alike.
func TestAppendManyMatchesAppend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, c, _ := setup(t)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	es := []Entry{
		{At: at, Actor: "courier:sf", Action: "case.in_transit", Target: "A1", Outcome: "ok", Detail: map[string]any{"move": "parcel.in_transit"}},
		{At: at, Actor: "courier:sf\x00", Role: "bad\xff", Action: "case.delivered", Target: "A2", Outcome: "ok"},
		{Actor: "system", Action: "case.delivered", Target: "A3", Outcome: "ok", Detail: []int{1, 2}},
	}
	for _, e := range es {
		if err := Append(ctx, pool, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := AppendMany(ctx, pool, es); err != nil {
		t.Fatal(err)
	}
	if err := AppendMany(ctx, pool, []Entry{{Action: "x"}}); err == nil {
		t.Error("an entry without an outcome was appended")
	}
	rows, err := pool.Query(ctx, `SELECT actor, role, action, target, outcome, detail::text, at = $1 FROM audit_log ORDER BY seq`, at)
	if err != nil {
		t.Fatal(err)
	}
	var got [][7]any
	for rows.Next() {
		var r [7]any
		var actor, role, action, target, outcome, detail string
		var atOK bool
		if err := rows.Scan(&actor, &role, &action, &target, &outcome, &detail, &atOK); err != nil {
			t.Fatal(err)
		}
		r = [7]any{actor, role, action, target, outcome, detail, atOK}
		got = append(got, r)
	}
	if len(got) != 2*len(es) {
		t.Fatalf("%d rows, want %d", len(got), 2*len(es))
	}
	for i := range es {
		one, many := got[i], got[len(es)+i]
		if i == 2 {
			one[6], many[6] = nil, nil // stamped with the time of the call
		}
		if one != many {
			t.Errorf("entry %d: Append wrote %v, AppendMany %v", i, one, many)
		}
	}
	chainAll(t, c)
	rep, err := Verify(ctx, pool)
	if err != nil || !rep.OK || rep.Checked != int64(2*len(es)) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
