package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// Reader consumes topics as a member of a consumer group and never commits on
// its own: the caller fetches, applies the message in one database
// transaction (inbox row plus case change), and only then commits. A crash in
// between redelivers the message, which the inbox makes harmless.
type Reader struct {
	r   *kafka.Reader
	err error // a Config that could not be turned into a reader
}

// ErrNoGroup and ErrNoTopics are returned by a Reader built without a group or
// without topics.
var (
	ErrNoGroup  = errors.New("reader needs a consumer group")
	ErrNoTopics = errors.New("reader needs at least one topic")
)

// NewReader builds a Reader of the given topics for consumer group group. It
// does not touch the network; the group is joined on the first Fetch. Like
// NewWriter it does not panic on a bad Config: Fetch returns the error.
func NewReader(cfg Config, group string, topics ...string) *Reader {
	switch {
	case group == "":
		return &Reader{err: ErrNoGroup}
	case len(topics) == 0:
		return &Reader{err: ErrNoTopics}
	case len(cfg.Brokers) == 0:
		// kafka.NewReader panics on an empty broker list.
		return &Reader{err: ErrNoBrokers}
	}
	dialer, err := cfg.Dialer()
	if err != nil {
		return &Reader{err: err}
	}
	rc := kafka.ReaderConfig{
		Brokers: cfg.Brokers,
		GroupID: group,
		// GroupTopics works for one topic as well as several, so there is
		// one code path.
		GroupTopics: topics,
		Dialer:      dialer,
		// 0 makes CommitMessages synchronous: it returns once the broker
		// stored the offset, which is what "commit after the transaction"
		// needs.
		CommitInterval: 0,
		// A new group starts from the oldest retained message: a hall that
		// joins late must still receive the cases already sent to it.
		StartOffset: kafka.FirstOffset,
		// Low latency over batching: a fetch returns as soon as one byte is
		// there. kafka-go gives the broker MaxWait less a round-trip allowance
		// of 1 s (a quarter of MaxWait when MaxWait is under 1 s) and gives up on
		// the answer at MaxWait: 1.2 s is an idle poll of 200 ms with 1 s for a
		// busy broker to answer. At 250 ms the allowance was 62 ms, and a loaded
		// broker missed it on every try, so the reader redialled and fetched the
		// same offset again and again without progress.
		MinBytes: 1,
		MaxBytes: 10 << 20,
		MaxWait:  1200 * time.Millisecond,
		// The default 5s wait after a failed join (a broker restarting, a
		// topic not yet provisioned) is longer than a hand-off should stall.
		JoinGroupBackoff: time.Second,
		// A hall that crashed holds its partitions until its session times out; a
		// restarted hall waits for that. 10 s (kfake's floor is 6 s) keeps a restart
		// short without flapping on a slow heartbeat.
		SessionTimeout:    10 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		HeartbeatInterval: 2 * time.Second,
		// Adding partitions to a hall's inbox must not leave the new ones
		// unread until the next restart.
		WatchPartitionChanges: true,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			slog.Warn("bus: kafka reader", slog.String("group", group), slog.String("detail", fmt.Sprintf(msg, args...)))
		}),
	}
	if err := rc.Validate(); err != nil {
		return &Reader{err: err}
	}
	return &Reader{r: kafka.NewReader(rc)}
}

// Fetch blocks until the next message or the end of ctx. It does not commit.
func (r *Reader) Fetch(ctx context.Context) (Message, error) {
	if r.err != nil {
		return Message{}, fmt.Errorf("bus: fetch: %w", r.err)
	}
	km, err := r.r.FetchMessage(ctx)
	if err != nil {
		return Message{}, fmt.Errorf("bus: fetch: %w", err)
	}
	return fromKafka(km), nil
}

// Commit records msgs as processed for the group; a later member of the group
// resumes after the highest committed offset of each partition. It returns
// once the broker has stored the offsets.
func (r *Reader) Commit(ctx context.Context, msgs ...Message) error {
	if r.err != nil {
		return fmt.Errorf("bus: commit: %w", r.err)
	}
	kms := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		// Only these three matter to a commit; building them from the
		// Message (not Raw) lets a caller commit a Message it rebuilt.
		kms[i] = kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
	}
	if err := r.r.CommitMessages(ctx, kms...); err != nil {
		return fmt.Errorf("bus: commit: %w", err)
	}
	return nil
}

// Close leaves the group, so the partitions move to another member at once
// rather than after the session timeout.
func (r *Reader) Close() error {
	if r.r == nil {
		return nil
	}
	if err := r.r.Close(); err != nil {
		return fmt.Errorf("bus: close reader: %w", err)
	}
	return nil
}
