package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// provisionTimeout bounds EnsureTopics when the caller's context has no
// deadline.
const provisionTimeout = 30 * time.Second

// Report is what EnsureTopics found and did, one line per topic (and per
// drifting setting), for the start-up log.
type Report struct {
	Created []string
	OK      []string
	Drift   []Drift
}

// Drift is one setting of an existing topic that differs from its spec.
// EnsureTopics never alters an existing topic: the cluster may be shared with
// other halls, and changing partitions would reshuffle which partition a case
// id maps to. An operator decides.
type Drift struct {
	Topic   string
	Setting string // "partitions", "replication.factor" or a config name
	Want    string
	Have    string
}

func (d Drift) String() string {
	return fmt.Sprintf("drift   %s: %s want %s, have %s", d.Topic, d.Setting, d.Want, d.Have)
}

// HasDrift reports whether any existing topic differs from its spec.
func (r Report) HasDrift() bool { return len(r.Drift) > 0 }

// Lines returns the report as printable lines: created, ok, then drift.
func (r Report) Lines() []string {
	var lines []string
	for _, t := range r.Created {
		lines = append(lines, "created "+t)
	}
	for _, t := range r.OK {
		lines = append(lines, "ok      "+t)
	}
	for _, d := range r.Drift {
		lines = append(lines, d.String())
	}
	return lines
}

func (r Report) String() string { return strings.Join(r.Lines(), "\n") }

// EnsureTopics creates the topics in specs that do not exist and compares the
// ones that do: partition count, replication factor and every config named in
// the spec. Differences are reported, never changed. A topic another node
// creates at the same moment is reported ok without being compared.
func EnsureTopics(ctx context.Context, cfg Config, specs []TopicSpec) (Report, error) {
	var rep Report
	if err := validateSpecs(specs); err != nil {
		return rep, fmt.Errorf("bus: ensure topics: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, provisionTimeout)
		defer cancel()
	}
	client, closeClient, err := adminClient(cfg)
	if err != nil {
		return rep, fmt.Errorf("bus: ensure topics: %w", err)
	}
	defer closeClient()

	existing, err := describeTopics(ctx, client, specs)
	if err != nil {
		return rep, fmt.Errorf("bus: ensure topics: %w", err)
	}
	var missing []TopicSpec
	for _, s := range specs {
		if _, ok := existing[s.Name]; !ok {
			missing = append(missing, s)
		}
	}
	if err := createTopics(ctx, client, missing, &rep); err != nil {
		return rep, fmt.Errorf("bus: ensure topics: %w", err)
	}
	for _, s := range specs {
		t, ok := existing[s.Name]
		if !ok {
			continue
		}
		drift, err := compareTopic(ctx, client, s, t)
		if err != nil {
			return rep, fmt.Errorf("bus: ensure topics: %w", err)
		}
		if len(drift) == 0 {
			rep.OK = append(rep.OK, s.Name)
		}
		rep.Drift = append(rep.Drift, drift...)
	}
	return rep, nil
}

// adminClient returns a kafka-go Client on a Transport of its own. The
// Transport caches cluster metadata from its first request, so a fresh one
// per call sees topics as they are now.
func adminClient(cfg Config) (*kafka.Client, func(), error) {
	addr, err := cfg.bootstrap()
	if err != nil {
		return nil, nil, err
	}
	tr, err := cfg.Transport()
	if err != nil {
		return nil, nil, err
	}
	return &kafka.Client{Addr: addr, Transport: tr}, tr.CloseIdleConnections, nil
}

// describeTopics returns the metadata of the specs' topics that exist.
func describeTopics(ctx context.Context, client *kafka.Client, specs []TopicSpec) (map[string]kafka.Topic, error) {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	existing := make(map[string]kafka.Topic)
	for _, t := range meta.Topics {
		switch {
		case t.Error == nil:
			existing[t.Name] = t
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
		default:
			return nil, fmt.Errorf("metadata of %s: %w", t.Name, t.Error)
		}
	}
	return existing, nil
}

func createTopics(ctx context.Context, client *kafka.Client, specs []TopicSpec, rep *Report) error {
	if len(specs) == 0 {
		return nil
	}
	req := &kafka.CreateTopicsRequest{}
	for _, s := range specs {
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor}
		for _, k := range sortedKeys(s.Configs) {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: s.Configs[k]})
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var errs []error
	for _, s := range specs {
		switch err := resp.Errors[s.Name]; {
		case err == nil:
			rep.Created = append(rep.Created, s.Name)
		case errors.Is(err, kafka.TopicAlreadyExists):
			// Another node won the race; its spec is the same code's.
			rep.OK = append(rep.OK, s.Name)
		default:
			errs = append(errs, fmt.Errorf("create %s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// compareTopic returns how t differs from s.
func compareTopic(ctx context.Context, client *kafka.Client, s TopicSpec, t kafka.Topic) ([]Drift, error) {
	var drift []Drift
	add := func(setting string, want, have string) {
		if want != have {
			drift = append(drift, Drift{Topic: s.Name, Setting: setting, Want: want, Have: have})
		}
	}
	add("partitions", strconv.Itoa(s.Partitions), strconv.Itoa(len(t.Partitions)))
	rf := 0
	for _, p := range t.Partitions {
		rf = max(rf, len(p.Replicas))
	}
	add("replication.factor", strconv.Itoa(s.ReplicationFactor), strconv.Itoa(rf))
	if len(s.Configs) == 0 {
		return drift, nil
	}
	have, err := topicConfigs(ctx, client, s.Name, sortedKeys(s.Configs))
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(s.Configs) {
		v, ok := have[k]
		if !ok {
			v = "(unset)"
		}
		add(k, s.Configs[k], v)
	}
	return drift, nil
}

func topicConfigs(ctx context.Context, client *kafka.Client, topic string, names []string) (map[string]string, error) {
	resp, err := client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{
		Resources: []kafka.DescribeConfigRequestResource{{
			ResourceType: kafka.ResourceTypeTopic,
			ResourceName: topic,
			ConfigNames:  names,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("describe configs of %s: %w", topic, err)
	}
	have := make(map[string]string)
	for _, r := range resp.Resources {
		if r.Error != nil {
			return nil, fmt.Errorf("describe configs of %s: %w", topic, r.Error)
		}
		for _, e := range r.ConfigEntries {
			have[e.ConfigName] = e.ConfigValue
		}
	}
	return have, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
