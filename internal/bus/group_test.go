package bus

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGroupSharesPartitions runs two members of one group, as a hall running
// two replicas does: when the second joins, the first gives up a partition
// (kafka-go learns of the rebalance on its next heartbeat, about 3s), both
// receive messages, and none is lost on the way.
func TestGroupSharesPartitions(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := startBroker(t).Config()
	const topic = "tongban.hall.320102"
	ensure(t, ctx, cfg, TopicSpec{Name: topic, Partitions: 2, ReplicationFactor: 1})
	w := NewWriter(cfg)
	defer w.Close()

	publish := func(i int) {
		t.Helper()
		if err := w.Publish(ctx, Message{Topic: topic, Key: fmt.Sprintf("case-%d", i), Value: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	a := NewReader(cfg, "hall-320102", topic)
	defer a.Close()
	publish(0)
	m := fetch(t, ctx, a) // a is in the group and owns both partitions
	if err := a.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	b := NewReader(cfg, "hall-320102", topic)
	defer b.Close()

	type got struct {
		reader string
		msg    Message
	}
	received := make(chan got)
	consumeCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for name, r := range map[string]*Reader{"a": a, "b": b} {
		wg.Go(func() {
			for {
				m, err := r.Fetch(consumeCtx)
				if err != nil {
					return // consumeCtx ended
				}
				// A commit racing a rebalance may be refused; the message
				// is then redelivered, which is what at-least-once means.
				_ = r.Commit(consumeCtx, m)
				select {
				case received <- got{name, m}:
				case <-consumeCtx.Done():
					return
				}
			}
		})
	}
	defer wg.Wait()
	defer stop()

	seen := map[string]bool{"0": true}
	by := make(map[string]int)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 1; by["a"] == 0 || by["b"] == 0 || len(seen) < i; {
		select {
		case g := <-received:
			seen[string(g.msg.Value)] = true
			by[g.reader]++
		case <-tick.C:
			if by["a"] == 0 || by["b"] == 0 {
				publish(i)
				i++
			}
		case <-ctx.Done():
			t.Fatalf("after %d messages: by reader %v, distinct %d", i, by, len(seen))
		}
	}
	t.Logf("messages by reader: %v", by)
}
