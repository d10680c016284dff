package settlement

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/envelope"
)

// TestConsumeOverKafka publishes waybill events through the embedded Kafka-protocol
// broker, with every message delivered twice, a forged one and a malformed one, and
// checks the ledger takes each waybill once and quarantines the two bad messages.
func TestConsumeOverKafka(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	broker, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	cfg := bus.Config{Brokers: broker.Brokers(), ClientID: "settlement-test"}
	if _, err := bus.EnsureTopics(ctx, cfg, bus.DefaultTopics(nil, 3, 1)); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.n.opt.Bus = cfg
	h.n.opt.CloseSchedule = "-"
	w := bus.NewWriter(cfg)
	defer w.Close()

	var msgs []bus.Message
	const n = 20
	for i := range n {
		ev := sampleEvent("SF14000000" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00")
		m := h.message(t, TypeWaybillCreated, ev)
		msgs = append(msgs, m, m) // a redelivery after a lost commit looks exactly like this
	}
	// Forged: signed by a key nobody registered, claiming to be hall 440100.
	_, stranger, _ := ed25519.GenerateKey(nil)
	forger := envelope.NewKeyring("440100", stranger)
	payload, _ := json.Marshal(sampleEvent("SF1499999999999"))
	val, hdr, _ := forger.Seal(envelope.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: TypeWaybillCreated, Schema: 1,
		From: "440100", To: Self, CaseID: uuid.NewString(), Seq: 1, At: time.Now(), Payload: payload})
	msgs = append(msgs, bus.Message{Key: "forged", Value: val, Headers: hdr})
	// Malformed: a properly signed envelope whose payload has float money.
	bad := sampleEvent("SF1499999999998")
	raw, _ := json.Marshal(bad)
	raw = []byte(string(raw[:len(raw)-1]) + `,"extra":1}`)
	val, hdr, _ = h.hall.Seal(envelope.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: TypeWaybillCreated, Schema: 1,
		From: "440100", To: Self, CaseID: bad.CaseID, Seq: 1, At: time.Now(), Payload: raw})
	msgs = append(msgs, bus.Message{Key: bad.CaseID, Value: val, Headers: hdr})
	for i := range msgs {
		msgs[i].Topic = bus.SettlementTopic
		msgs[i].Offset = 0
	}
	if err := w.Publish(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.n.Run(runCtx) }()
	deadline := time.Now().Add(45 * time.Second)
	var ws, qs int
	for time.Now().Before(deadline) {
		_ = h.n.db.QueryRow(ctx, `SELECT count(*) FROM waybill`).Scan(&ws)
		_ = h.n.db.QueryRow(ctx, `SELECT count(*) FROM quarantine`).Scan(&qs)
		if ws == n && qs == 2 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ws != n || qs != 2 {
		t.Fatalf("%d waybills (want %d), %d quarantined (want 2)", ws, n, qs)
	}
	q, _ := h.n.Quarantine(ctx, 10)
	reasons := map[string]bool{}
	for _, m := range q {
		reasons[m.Reason] = true
	}
	if !reasons[envelope.ReasonBadSignature] || !reasons[envelope.ReasonBadPayload] {
		t.Fatalf("quarantine reasons %v", reasons)
	}
}

// TestLedgerRules: a repeated creation is a no-op, a different one for the same number
// is quarantined as a conflict, a void for an unknown waybill too, and a replay after
// the waybill arrived applies it.
func TestLedgerRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	ev := sampleEvent("SF1400000000001")
	h.send(t, TypeWaybillCreated, ev)
	h.send(t, TypeWaybillCreated, ev) // same content, new envelope id
	other := ev
	other.WeightG = 99
	h.send(t, TypeWaybillCreated, other)
	lateVoid := sampleEvent("SF1400000000002")
	h.send(t, TypeWaybillVoided, WaybillEvent{Carrier: "sf", Waybill: lateVoid.Waybill, CaseID: lateVoid.CaseID, VoidedAt: time.Now()})
	wrongSchema := h.message(t, TypeWaybillCreated, sampleEvent("SF1400000000003"))
	var env envelope.Envelope
	_ = json.Unmarshal(wrongSchema.Value, &env)
	env.Schema = 2
	wrongSchema.Value, wrongSchema.Headers, _ = h.hall.Seal(env)
	if err := h.n.HandleMessage(ctx, wrongSchema); err != nil {
		t.Fatal(err)
	}
	q, err := h.n.Quarantine(ctx, 10)
	if err != nil || len(q) != 3 {
		t.Fatalf("quarantine: %v %+v", err, q)
	}
	got := map[string]int64{}
	for _, m := range q {
		got[m.Reason] = m.ID
	}
	if got["conflict"] == 0 || got["unknown_waybill"] == 0 || got[envelope.ReasonUnknownSchema] == 0 {
		t.Fatalf("reasons %v", got)
	}
	w, err := h.n.FindWaybill(ctx, "sf", "sf-1400 0000 00001")
	if err != nil || w.WeightG != 1200 || w.Period != "2025-03" {
		t.Fatalf("waybill %+v %v", w, err)
	}
	h.send(t, TypeWaybillCreated, lateVoid)
	if err := h.n.Replay(ctx, got["unknown_waybill"], "ops"); err != nil {
		t.Fatal(err)
	}
	if w, _ := h.n.FindWaybill(ctx, "sf", lateVoid.Waybill); w.VoidedAt == nil {
		t.Fatal("replayed void not applied")
	}
	if err := h.n.Replay(ctx, got["unknown_waybill"], "ops"); err == nil {
		t.Fatal("replayed twice")
	}
}
