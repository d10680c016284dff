package bus

import (
	"errors"
	"testing"
)

// A Writer caches cluster metadata; a hall inbox created after the Writer
// started must still be writable without restarting the relay.
func TestPublishToTopicCreatedLater(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := startBroker(t).Config()
	ensure(t, ctx, cfg, TopicSpec{Name: SettlementTopic, Partitions: 1, ReplicationFactor: 1})
	w := NewWriter(cfg)
	defer w.Close()
	if err := w.Publish(ctx, Message{Topic: SettlementTopic, Key: "w1", Value: []byte("waybill.created")}); err != nil {
		t.Fatal(err)
	}

	late := HallTopic("510104")
	ensure(t, ctx, cfg, TopicSpec{Name: late, Partitions: 1, ReplicationFactor: 1})
	if err := w.Publish(ctx, Message{Topic: late, Key: "case-1", Value: []byte("case.dispatched")}); err != nil {
		t.Fatalf("publish to a topic created after the writer started: %v", err)
	}

	err := w.Publish(ctx, Message{Topic: HallTopic("999999"), Key: "case-1", Value: []byte("x")})
	if !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("publish to a missing topic: %v", err)
	}
	if err := w.Publish(ctx, Message{Key: "case-1"}); !errors.Is(err, ErrNoTopic) {
		t.Fatalf("publish without a topic: %v", err)
	}
}
