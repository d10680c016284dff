package handoff

import (
	"fmt"
	"strings"
	"testing"
)

// TestLifecycleAcrossHalls walks one case through every stage, the origin hall
// seeing each step the deciding hall makes and the reverse.
func TestLifecycleAcrossHalls(t *testing.T) {
	t.Parallel()
	a, b, _ := newPair(t)
	id, caseNo := acceptCase(t, a)
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)

	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/parcel", map[string]any{"status": "in_transit"})
	waitState(t, b, id, InTransit)

	// Sign-for by scanning the case number; one item short, so an exception goes back.
	c := b.must(t, 200, "GET", "/api/v1/cases/"+id, nil)
	manifest := c["manifest"].([]any)
	var items []Item
	for i, l := range manifest {
		line := l.(map[string]any)
		it := Item{ID: line["id"].(string), Name: line["name"].(string), Originals: int(line["originals"].(float64)), Copies: int(line["copies"].(float64))}
		if i == 0 {
			it.Copies++
		}
		items = append(items, it)
	}
	b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: caseNo, Items: items})
	waitState(t, a, id, Received)
	got := a.must(t, 200, "GET", "/api/v1/cases/"+id, nil)
	if got["exception"] == nil {
		t.Fatalf("origin does not see the manifest mismatch: %v", got)
	}

	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/request-correction", Step{Items: []Item{{Name: "补充说明"}}})
	waitState(t, a, id, CorrectionRequested)
	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/supplement", Step{Items: []Item{{Name: "补充说明", Originals: 1}}})
	waitState(t, b, id, Received)
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/accept", Step{})
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/pause", Step{Kind: "expert_review", Note: "专家评审"})
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/resume", Step{})
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/conclude", Step{Result: &Result{Outcome: "granted", DocumentName: "营业执照", DocumentNo: "91440605MA5TEST01X"}})
	b.must(t, 200, "POST", "/api/v1/cases/"+id+"/dispatch-result", Step{Method: "origin_window"})
	waitState(t, a, id, ResultDispatched)
	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/deliver-result", Step{SignedBy: "陈小明"})
	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/close", Step{})
	waitState(t, b, id, Closed)

	// Both halls print the same decision notices from the recorded moves.
	for kind, want := range map[string]string{"acceptance": "受理通知书", "correction": "补充说明", "conclusion": "91440605MA5TEST01X"} {
		for _, h := range []*testHall{a, b} {
			if page := h.get(t, "/api/v1/cases/"+id+"/notices/"+kind); !strings.Contains(page, want) || !strings.Contains(page, caseNo) {
				t.Errorf("%s notice at %s lacks %q", kind, h.code, want)
			}
		}
	}
	if code, _ := a.call(t, "GET", "/api/v1/cases/"+id+"/notices/refusal", nil); code != 404 {
		t.Errorf("refusal notice of a case never refused = %d, want 404", code)
	}
	if label := a.get(t, "/api/v1/cases/"+id+"/label"); !strings.Contains(label, "SF"+id[len(id)-10:]) {
		t.Error("the parcel label lacks the waybill")
	}
	ra := a.must(t, 200, "GET", "/api/v1/cases/"+id, nil)
	if r, ok := ra["result"].(map[string]any); !ok || r["document_no"] != "91440605MA5TEST01X" {
		t.Fatalf("origin lacks the result: %v", ra["result"])
	}
	// Both timelines hold the same twelve shared moves in the same order; the origin's
	// also has its own intake and packaging.
	want := []string{"accepted", "dispatched", "in_transit", "received", "correction_requested", "received", "under_review",
		"paused", "under_review", "concluded", "result_dispatched", "result_delivered", "closed"}
	for _, h := range []*testHall{a, b} {
		evs := h.must(t, 200, "GET", "/api/v1/cases/"+id+"/events", nil)["events"].([]any)
		var states []string
		for _, e := range evs {
			ev := e.(map[string]any)
			if to, ok := ev["to_state"].(string); ok && ev["from_state"] != to {
				states = append(states, to)
			}
		}
		if h == b {
			want = want[1:] // the deciding hall's copy begins at dispatch
		}
		if fmt.Sprint(states) != fmt.Sprint(want) {
			t.Errorf("%s timeline states %v, want %v", h.code, states, want)
		}
	}
}
