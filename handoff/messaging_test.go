package handoff

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/bus"
)

// capturePackage dispatches a case at a while b is stopped from reading... instead it
// reads the signed case.dispatched value straight from a's outbox, so tests can replay,
// reorder and tamper with real messages.
func outboxValues(t *testing.T, h *testHall, caseID string) []bus.Message {
	t.Helper()
	rows, err := h.opt.DB.Query(context.Background(), `SELECT topic, key, value, headers FROM outbox WHERE key = $1 ORDER BY pos`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []bus.Message
	for rows.Next() {
		var m bus.Message
		var hdr []byte
		if err := rows.Scan(&m.Topic, &m.Key, &m.Value, &hdr); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(hdr, &m.Headers)
		out = append(out, m)
	}
	return out
}

func quarantineReasons(t *testing.T, h *testHall) map[string]int {
	t.Helper()
	qs, err := h.Quarantine(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, q := range qs {
		out[q.Reason]++
	}
	return out
}

func publish(t *testing.T, cfg bus.Config, msgs ...bus.Message) {
	t.Helper()
	w := bus.NewWriter(cfg)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Publish(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// TestForgedAndBrokenMessagesOnlyReachQuarantine sends a partner hall messages that
// fail each check. None touches a case; each is visible in quarantine with its reason.
func TestForgedAndBrokenMessagesOnlyReachQuarantine(t *testing.T) {
	t.Parallel()
	a, b, cfg := newPair(t)
	id, _ := acceptCase(t, a)
	shipCase(t, a, id)
	waitState(t, b, id, Dispatched)
	real := outboxValues(t, a, id)[0]

	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	rogueRing := NewKeyring(gz, rogue) // claims to be Guangzhou with another key
	newCase := uuid.Must(uuid.NewV7()).String()
	env := Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: TypeAccepted, Schema: SchemaVersion, From: gz, To: fs,
		CaseID: newCase, Seq: 1, At: time.Now().UTC(), Payload: json.RawMessage(`{"actor":"x"}`)}
	forgedValue, forgedHdr, _ := rogueRing.Seal(env)

	tampered := append([]byte(nil), real.Value...)
	tampered[len(tampered)-3] ^= 1

	unknownSender := NewKeyring("441900", rogue)
	env2 := env
	env2.From = "441900"
	v2, h2, _ := unknownSender.Seal(env2)

	env3 := env
	env3.Schema = 99
	v3, h3, _ := a.keys.Seal(env3)

	env4 := env
	env4.Type = TypeConcluded
	env4.CaseID = id
	env4.Seq = 2
	env4.Payload = json.RawMessage(`{"actor":"x","result":{"outcome":"maybe"}}`)
	v4, h4, _ := a.keys.Seal(env4) // signed by the origin, but origin may not conclude

	topic := bus.HallTopic(fs)
	publish(t, cfg,
		bus.Message{Topic: topic, Key: newCase, Value: forgedValue, Headers: forgedHdr},
		bus.Message{Topic: topic, Key: id, Value: tampered, Headers: real.Headers},
		bus.Message{Topic: topic, Key: newCase, Value: v2, Headers: h2},
		bus.Message{Topic: topic, Key: newCase, Value: v3, Headers: h3},
		bus.Message{Topic: topic, Key: newCase, Value: []byte("not json"), Headers: nil},
		bus.Message{Topic: topic, Key: newCase, Value: []byte("not json"), Headers: map[string]string{
			HeaderKey: a.keys.KeyID, HeaderSig: base64.StdEncoding.EncodeToString(ed25519.Sign(a.priv, []byte("not json")))}},
		bus.Message{Topic: topic, Key: id, Value: v4, Headers: h4},
	)
	eventually(t, "seven quarantined messages", func() bool {
		n := 0
		for _, c := range quarantineReasons(t, b) {
			n += c
		}
		return n == 7
	})
	got := quarantineReasons(t, b)
	want := map[string]int{ReasonBadSignature: 2, ReasonUnknownSender: 2, ReasonUnknownSchema: 1, ReasonMalformed: 1, ReasonBadPayload: 1}
	for r, n := range want {
		if got[r] != n {
			t.Errorf("quarantine reason %s: %d, want %d (all: %v)", r, got[r], n, got)
		}
	}
	if s := b.stateAt(t, newCase); s != "" {
		t.Errorf("a forged message created case %s in state %s", newCase, s)
	}
	if s := b.stateAt(t, id); s != Dispatched {
		t.Errorf("case moved to %s by a rejected message", s)
	}
	// The API shows them, without signatures or payloads.
	list := b.must(t, 200, "GET", "/api/v1/quarantine", nil)["messages"].([]any)
	if len(list) != 7 {
		t.Fatalf("quarantine API lists %d", len(list))
	}
}

// TestReplayAfterTrustingTheSender: a message from a hall not yet registered waits in
// quarantine; once its key is registered, a replay applies it.
func TestReplayAfterTrustingTheSender(t *testing.T) {
	t.Parallel()
	a, b, cfg := newPair(t)
	// A third city's hall that Foshan does not know yet.
	if _, err := bus.EnsureTopics(context.Background(), cfg, bus.DefaultTopics([]string{"441900"}, 2, 1)); err != nil {
		t.Fatal(err)
	}
	dg := startHall(t, "441900", cfg, nil)
	trust(dg, b)
	_ = a
	id := dgCase(t, dg)
	eventually(t, "the unknown sender's package in quarantine", func() bool { return quarantineReasons(t, b)[ReasonUnknownSender] == 1 })
	if b.stateAt(t, id) != "" {
		t.Fatal("case created from an unknown sender")
	}
	b.keys.Trust("441900", dg.priv.Public().(ed25519.PublicKey))
	qs, _ := b.Quarantine(context.Background(), 10)
	out := b.must(t, 200, "POST", "/api/v1/quarantine/"+itoa(qs[0].ID)+"/replay", nil)
	if out["result"] != "applied" {
		t.Fatalf("replay: %v", out)
	}
	if b.stateAt(t, id) != Dispatched {
		t.Fatalf("after replay the case is %q", b.stateAt(t, id))
	}
}

// dgCase makes a Dongguan case decided in Foshan by writing its matter into dg's catalogue.
func dgCase(t *testing.T, dg *testHall) string {
	t.Helper()
	m, items := firstMatter(t, &testHall{code: gz})
	m.Code = "DG-" + m.Code
	dg.must(t, 200, "PUT", "/api/v1/matters/"+m.Code, m)
	out := dg.must(t, 201, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: items})
	id := out["case"].(map[string]any)["id"].(string)
	shipCase(t, dg, id)
	return id
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestRedeliveredAndReorderedMessagesApplyOnceInOrder replays a case's real messages
// again, in reverse: nothing applies twice and the case ends where it should.
func TestRedeliveredAndReorderedMessagesApplyOnceInOrder(t *testing.T) {
	t.Parallel()
	a, b, cfg := newPair(t)
	id, caseNo := acceptCase(t, a)
	shipCase(t, a, id)
	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/parcel", map[string]any{"status": "in_transit"})
	a.must(t, 200, "POST", "/api/v1/cases/"+id+"/parcel", map[string]any{"status": "delivered"})
	waitState(t, b, id, Delivered)
	b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: caseNo})
	waitState(t, a, id, Received)

	// Everything Guangzhou ever sent, again, last first.
	msgs := outboxValues(t, a, id)
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	publish(t, cfg, msgs...)
	var before int
	b.opt.DB.QueryRow(context.Background(), `SELECT count(*) FROM case_events WHERE case_id = $1`, id).Scan(&before)
	eventually(t, "the redelivered messages to be recognised", func() bool {
		return testutilCounter(b.metrics.duplicates) >= float64(len(msgs))
	})
	var after int
	b.opt.DB.QueryRow(context.Background(), `SELECT count(*) FROM case_events WHERE case_id = $1`, id).Scan(&after)
	if after != before || b.stateAt(t, id) != Received {
		t.Fatalf("redelivery changed the case: events %d → %d, state %s", before, after, b.stateAt(t, id))
	}

	// A fresh case whose messages arrive out of order: delivered before in_transit
	// before dispatched. They park and apply in order. The inbox is driven by hand
	// here so the order is the test's, not the broker's.
	id2, _ := acceptCase(t, a)
	shipCase(t, a, id2)
	a.must(t, 200, "POST", "/api/v1/cases/"+id2+"/parcel", map[string]any{"status": "in_transit"})
	a.must(t, 200, "POST", "/api/v1/cases/"+id2+"/parcel", map[string]any{"status": "delivered"})
	m2 := outboxValues(t, a, id2)
	idle := startHallWith(t, fs, cfg, b.priv, b.sealer)
	idle.stop() // no consumer: only the calls below feed it
	trust(idle, a)
	ctx := context.Background()
	for i, off := range []int{2, 1, 0} {
		m := m2[off]
		if err := idle.handle(ctx, m.Topic, 0, int64(i), m.Key, m.Value, m.Headers); err != nil {
			t.Fatal(err)
		}
		if i < 2 && idle.stateAt(t, id2) != "" {
			t.Fatalf("after %d early messages the case exists in state %s", i+1, idle.stateAt(t, id2))
		}
	}
	if s := idle.stateAt(t, id2); s != Delivered {
		t.Fatalf("after all three the case is %q, want delivered", s)
	}
	var moves []string
	rows, _ := idle.opt.DB.Query(ctx, `SELECT action FROM case_events WHERE case_id = $1 ORDER BY id`, id2)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		moves = append(moves, s)
	}
	rows.Close()
	if len(moves) != 3 || moves[0] != TypeDispatched || moves[1] != TypeInTransit || moves[2] != TypeDelivered {
		t.Fatalf("applied in order %v", moves)
	}
}
