package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Writer publishes messages and returns only once every broker in the
// partition's in-sync set has them (acks=all). The outbox relay marks a row
// sent only after Publish returns nil, so an acknowledged message is never
// lost and an unacknowledged one is retried from the outbox.
type Writer struct {
	w         *kafka.Writer
	transport *kafka.Transport
	err       error // a Config that could not be turned into a writer
}

// NewWriter builds a Writer. It does not touch the network. A Config that
// fails Validate, or a TLS CA file that cannot be read, does not panic: every
// Publish then returns that error, so call cfg.Validate (and Ping) at start-up
// to fail early.
func NewWriter(cfg Config) *Writer {
	addr, err := cfg.bootstrap()
	if err != nil {
		return &Writer{err: err}
	}
	tr, err := cfg.Transport()
	if err != nil {
		return &Writer{err: err}
	}
	w := &kafka.Writer{
		Addr: addr,
		// No Topic: each Message names its own, so one relay serves every
		// partner hall's inbox.
		Balancer: &kafka.Hash{},
		// acks=all: the write survives the loss of the leader.
		RequiredAcks: kafka.RequireAll,
		// kafka-go holds a partial batch until BatchTimeout, so a Publish of
		// one message costs at least this long (about 5.6ms per publish,
		// fetch and commit in BenchmarkPublishFetch). A relay batch is a
		// handful of rows; waiting longer for more only adds latency.
		BatchTimeout: 5 * time.Millisecond,
		// Retries cover leader moves and broker restarts (about 10s of
		// backoff in all); past that the outbox lease expires and another
		// relay round retries.
		MaxAttempts:     10,
		WriteBackoffMin: 100 * time.Millisecond,
		WriteBackoffMax: 2 * time.Second,
		WriteTimeout:    10 * time.Second,
		ReadTimeout:     10 * time.Second,
		// Topics are provisioned by EnsureTopics; a typo must fail, not
		// create a topic with broker defaults.
		AllowAutoTopicCreation: false,
		Async:                  false,
		Transport:              tr,
	}
	return &Writer{w: w, transport: tr}
}

// Publish writes msgs and waits for the acknowledgement. Messages with the
// same Topic and Key land in one partition in the order given. On error some
// messages may have been written (kafka.WriteErrors tells which); the outbox
// makes republishing them harmless because receivers deduplicate by id.
func (w *Writer) Publish(ctx context.Context, msgs ...Message) error {
	if w.err != nil {
		return fmt.Errorf("bus: publish: %w", w.err)
	}
	if len(msgs) == 0 {
		return nil
	}
	kms := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		if m.Topic == "" {
			return fmt.Errorf("bus: publish: message %d: %w", i, ErrNoTopic)
		}
		kms[i] = m.toKafka()
	}
	// A topic unknown to the Writer may just have been created (see
	// metadataTTL): wait for one metadata refresh before calling it missing.
	// kafka-go looks topics up before writing anything, so this retry never
	// writes a message twice.
	giveUp := time.Now().Add(metadataTTL + 500*time.Millisecond)
	for {
		err := w.w.WriteMessages(ctx, kms...)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, kafka.UnknownTopicOrPartition):
			return fmt.Errorf("bus: publish: %w", err)
		case time.Now().After(giveUp):
			return fmt.Errorf("bus: publish: %w: %w", ErrUnknownTopic, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bus: publish: %w: %w", ErrUnknownTopic, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Errors callers branch on.
var (
	// ErrNoTopic is returned by Publish for a Message without a Topic.
	ErrNoTopic = errors.New("message has no topic")
	// ErrUnknownTopic is returned by Publish when a message names a topic
	// the cluster does not have: a partner hall's inbox that EnsureTopics has
	// not created. Retrying soon will not help; provisioning will.
	ErrUnknownTopic = errors.New("topic not provisioned")
)

// Close flushes nothing (Publish is synchronous) and releases the
// connections.
func (w *Writer) Close() error {
	if w.w == nil {
		return nil
	}
	err := w.w.Close()
	w.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("bus: close writer: %w", err)
	}
	return nil
}
