package bus

import (
	"fmt"
	"testing"
)

// BenchmarkPublishFetch measures one hand-off as the relay and the inbox do
// it: a synchronous acks=all Publish of one message, then Fetch and Commit.
// It is latency, not throughput: the relay publishes row by row.
func BenchmarkPublishFetch(b *testing.B) {
	ctx := testContext(b)
	cfg := startBroker(b).Config()
	const topic = "tongban.hall.bench"
	ensure(b, ctx, cfg, TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 1})
	w := NewWriter(cfg)
	defer w.Close()
	r := NewReader(cfg, "bench", topic)
	defer r.Close()
	value := make([]byte, 2048) // about one signed envelope without attachments

	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := w.Publish(ctx, Message{Topic: topic, Key: fmt.Sprintf("case-%d", i%64), Value: value}); err != nil {
			b.Fatal(err)
		}
		m := fetch(b, ctx, r)
		if err := r.Commit(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
