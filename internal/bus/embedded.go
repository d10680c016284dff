package bus

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is an in-process Kafka-protocol broker (franz-go's kfake) that
// listens on loopback. A node with no Brokers configured starts one so a demo
// or a test runs without a cluster; kafka-go still talks to it over real TCP,
// so the same code paths run as in production. It keeps everything in memory.
//
// Topic auto-creation is left off, as on the real clusters the halls use:
// topics come from EnsureTopics (or WithSeedTopics). kafka-go asks for
// auto-creation on its own in some metadata requests (the consumer group
// leader's partition lookup sends AllowAutoTopicCreation=true), so enabling it
// here would let a mistyped topic name silently create a topic in tests that
// production would refuse.
//
// kafka-go's consumer group speaks the classic group protocol at old versions
// (FindCoordinator v0, JoinGroup v2, SyncGroup v0, Heartbeat v0, LeaveGroup v0,
// OffsetCommit v2, OffsetFetch v1, ListOffsets v1) and negotiates the rest up
// (Fetch v10, Produce v8, Metadata v8, CreateTopics v5, DescribeConfigs v3).
// kfake serves all of these; its only floors (Produce v3, Fetch v4) sit below
// what kafka-go negotiates, so no kfake option or kafka-go setting was needed
// beyond NumBrokers(1). Two limits to keep in mind: kfake refuses a session
// timeout under 6s (kafka-go's default is 30s), and kfake has no initial
// rebalance delay, so a group forms at once, faster than on a real broker.
type Embedded struct {
	cluster *kfake.Cluster
	brokers []string
	cfg     Config
}

// EmbeddedOption adjusts StartEmbedded.
type EmbeddedOption func(*embeddedOptions)

type embeddedOptions struct {
	port   int
	seeds  []kfake.Opt
	scram  *[3]string // mechanism, user, password
	logger *slog.Logger
}

// WithPort listens on a fixed loopback port instead of a free one, for a demo
// whose other processes need a stable address.
func WithPort(port int) EmbeddedOption {
	return func(o *embeddedOptions) { o.port = port }
}

// WithSeedTopics creates the named topics at start with the given partition
// count and replication factor 1.
func WithSeedTopics(partitions int, names ...string) EmbeddedOption {
	return func(o *embeddedOptions) {
		o.seeds = append(o.seeds, kfake.SeedTopics(int32(partitions), names...))
	}
}

// WithSCRAMUser makes the broker require SASL/SCRAM with this one user, so the
// SASL path of Config can be exercised without a real cluster. The mechanism
// is SASLScramSHA256 or SASLScramSHA512.
func WithSCRAMUser(mechanism, user, password string) EmbeddedOption {
	return func(o *embeddedOptions) { o.scram = &[3]string{mechanism, user, password} }
}

// WithLogger sends the broker's warnings and errors to logger.
func WithLogger(logger *slog.Logger) EmbeddedOption {
	return func(o *embeddedOptions) { o.logger = logger }
}

// StartEmbedded starts a one-broker cluster on 127.0.0.1 and returns once it
// answers a metadata request, or when ctx ends.
func StartEmbedded(ctx context.Context, opts ...EmbeddedOption) (*Embedded, error) {
	var o embeddedOptions
	for _, opt := range opts {
		opt(&o)
	}
	kopts := []kfake.Opt{
		// kfake defaults to three brokers; one keeps replication factor 1
		// topics and the single-node demo honest.
		kfake.NumBrokers(1),
		kfake.Ports(o.port), // 0 asks the kernel for a free port.
		kfake.ClusterID("tongban-embedded"),
	}
	kopts = append(kopts, o.seeds...)
	if o.scram != nil {
		kopts = append(kopts, kfake.EnableSASL(), kfake.Superuser(o.scram[0], o.scram[1], o.scram[2]))
	}
	if o.logger != nil {
		kopts = append(kopts, kfake.WithLogger(kfakeLogger{o.logger}))
	}
	cluster, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("bus: start embedded broker: %w", err)
	}
	e := &Embedded{cluster: cluster, brokers: cluster.ListenAddrs()}
	e.cfg = Config{Brokers: e.Brokers(), ClientID: DefaultClientID}
	if o.scram != nil {
		e.cfg.SASLMechanism, e.cfg.SASLUser, e.cfg.SASLPassword = o.scram[0], o.scram[1], o.scram[2]
	}
	if err := Ping(ctx, e.cfg); err != nil {
		cluster.Close()
		return nil, fmt.Errorf("bus: start embedded broker: %w", err)
	}
	return e, nil
}

// Brokers returns the broker's host:port, ready for Config.Brokers.
func (e *Embedded) Brokers() []string {
	return append([]string(nil), e.brokers...)
}

// Config returns a Config that reaches this broker, SASL user included.
func (e *Embedded) Config() Config {
	cfg := e.cfg
	cfg.Brokers = e.Brokers()
	return cfg
}

// Close stops the broker and drops everything it held. Clients still
// connected see their connections close.
func (e *Embedded) Close() {
	e.cluster.Close()
}

// Resolve returns cfg unchanged when it names brokers. With none it starts an
// embedded broker and returns a copy of cfg pointing at it, plus the broker,
// which the caller must Close at shutdown.
func Resolve(ctx context.Context, cfg Config) (Config, *Embedded, error) {
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	if len(cfg.Brokers) > 0 {
		return cfg, nil, nil
	}
	e, err := StartEmbedded(ctx)
	if err != nil {
		return cfg, nil, err
	}
	cfg.Brokers = e.Brokers()
	return cfg, e, nil
}

// kfakeLogger adapts slog to kfake. Info and debug are per-request chatter, so
// only warnings and errors pass.
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		k.l.Error("bus: embedded broker", slog.String("detail", fmt.Sprintf(format, args...)))
	case kfake.LogLevelWarn:
		k.l.Warn("bus: embedded broker", slog.String("detail", fmt.Sprintf(format, args...)))
	}
}
