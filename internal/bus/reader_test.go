package bus

import (
	"fmt"
	"testing"
)

func TestGroupResumesAfterCommit(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := startBroker(t).Config()
	const topic = "tongban.hall.110105"
	ensure(t, ctx, cfg, TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 1})

	w := NewWriter(cfg)
	defer w.Close()
	for i := range 3 {
		err := w.Publish(ctx, Message{
			Topic:   topic,
			Key:     "case-1",
			Value:   fmt.Appendf(nil, "m%d", i),
			Headers: map[string]string{"tongban-key": "k1", "tongban-sig": "sig"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	first := NewReader(cfg, "hall-310101", topic)
	m := fetch(t, ctx, first)
	if string(m.Value) != "m0" || m.Key != "case-1" || m.Headers["tongban-sig"] != "sig" || m.Topic != topic {
		t.Fatalf("first fetch = %+v", m)
	}
	if err := first.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := NewReader(cfg, "hall-310101", topic)
	defer second.Close()
	m2 := fetch(t, ctx, second)
	if string(m2.Value) != "m1" || m2.Offset != m.Offset+1 {
		t.Fatalf("second reader got %q at offset %d, want m1 at %d", m2.Value, m2.Offset, m.Offset+1)
	}
}

func TestSameKeyKeepsPartitionAndOrder(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := startBroker(t).Config()
	const topic = "tongban.hall.440305"
	ensure(t, ctx, cfg, TopicSpec{Name: topic, Partitions: 6, ReplicationFactor: 1})

	w := NewWriter(cfg)
	defer w.Close()
	keys := []string{"case-a", "case-b", "case-c", "case-d"}
	const perKey = 15
	// Interleave the keys and send in batches, so order has to come from the
	// balancer and the partition, not from one key per call.
	for round := range 3 {
		var batch []Message
		for i := range perKey / 3 {
			for _, k := range keys {
				seq := round*(perKey/3) + i
				batch = append(batch, Message{Topic: topic, Key: k, Value: fmt.Appendf(nil, "%d", seq)})
			}
		}
		if err := w.Publish(ctx, batch...); err != nil {
			t.Fatal(err)
		}
	}

	r := NewReader(cfg, "order-check", topic)
	defer r.Close()
	partition := make(map[string]int)
	next := make(map[string]int)
	for range perKey * len(keys) {
		m := fetch(t, ctx, r)
		if p, ok := partition[m.Key]; ok && p != m.Partition {
			t.Fatalf("key %s in partitions %d and %d", m.Key, p, m.Partition)
		}
		partition[m.Key] = m.Partition
		if want := fmt.Sprint(next[m.Key]); string(m.Value) != want {
			t.Fatalf("key %s: got seq %s, want %s", m.Key, m.Value, want)
		}
		next[m.Key]++
	}
	for _, k := range keys {
		if next[k] != perKey {
			t.Fatalf("key %s: read %d messages, want %d", k, next[k], perKey)
		}
	}
	t.Logf("partitions by key: %v", partition)
}
