package bus

import (
	"context"
	"testing"
)

func TestSCRAMEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := startBroker(t, WithSCRAMUser(SASLScramSHA512, "hall-110105", "s3cret"))
	cfg := e.Config()
	if cfg.SASLMechanism != SASLScramSHA512 || cfg.SASLUser != "hall-110105" {
		t.Fatalf("embedded config %v", cfg)
	}
	const topic = "tongban.supervision.alerts"
	ensure(t, ctx, cfg, TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1})

	w := NewWriter(cfg)
	defer w.Close()
	if err := w.Publish(ctx, Message{Topic: topic, Key: "case-9", Value: []byte("deadline")}); err != nil {
		t.Fatal(err)
	}
	r := NewReader(cfg, "supervision", topic)
	defer r.Close()
	if m := fetch(t, ctx, r); string(m.Value) != "deadline" {
		t.Fatalf("got %q", m.Value)
	}

	wrong := cfg
	wrong.SASLPassword = "guess"
	if err := Ping(ctx, wrong); err == nil {
		t.Fatal("ping with a wrong password succeeded")
	}
	plain := cfg
	plain.SASLMechanism, plain.SASLUser, plain.SASLPassword = "", "", ""
	if err := Ping(ctx, plain); err == nil {
		t.Fatal("ping without SASL succeeded against a SASL broker")
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg, e, err := Resolve(ctx, Config{ClientID: "hall-110105"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if len(cfg.Brokers) != 1 || cfg.ClientID != "hall-110105" {
		t.Fatalf("resolved %v", cfg)
	}
	if err := Ping(ctx, cfg); err != nil {
		t.Fatal(err)
	}

	given := Config{Brokers: []string{"k1:9093"}}
	got, e2, err := Resolve(context.Background(), given)
	if err != nil || e2 != nil || got.Brokers[0] != "k1:9093" {
		t.Fatalf("Resolve with brokers: %v %v %v", got, e2, err)
	}
}
