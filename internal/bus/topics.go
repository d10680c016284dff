package bus

import (
	"fmt"
	"slices"
	"strconv"
)

// Topic names from DESIGN.md, "Messages between sites".
const (
	hallTopicPrefix = "tongban.hall."
	// SettlementTopic carries waybill.created and waybill.voided.
	SettlementTopic = "tongban.settlement.waybills"
	// SupervisionTopic carries deadline.alert.
	SupervisionTopic = "tongban.supervision.alerts"
)

// retention14Days is how long a message waits for a hall that is down. Two
// weeks covers a long holiday closure; the outbox still holds anything older.
const retention14Days = 14 * 24 * 60 * 60 * 1000

// TopicSpec is how a topic should look. Configs lists only the settings
// Tongban cares about; anything else is left to the cluster's defaults.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string
}

// HallTopic is the inbox topic of the hall with the given administrative
// division code, e.g. HallTopic("110105") = "tongban.hall.110105".
func HallTopic(code string) string {
	return hallTopicPrefix + code
}

// DefaultTopics returns Tongban's topics: one inbox per hall (duplicates
// dropped), the settlement and the supervision topic, all with the same
// partition count and replication factor. min.insync.replicas is 2 where the
// replication factor allows it, so an acks=all write survives losing one
// broker without being refused when one is down.
func DefaultTopics(halls []string, partitions, rf int) []TopicSpec {
	configs := func() map[string]string {
		return map[string]string{
			"min.insync.replicas": strconv.Itoa(max(1, min(2, rf))),
			"retention.ms":        strconv.Itoa(retention14Days),
			"cleanup.policy":      "delete",
		}
	}
	spec := func(name string) TopicSpec {
		return TopicSpec{Name: name, Partitions: partitions, ReplicationFactor: rf, Configs: configs()}
	}
	var specs []TopicSpec
	seen := make(map[string]bool)
	for _, h := range halls {
		if seen[h] {
			continue
		}
		seen[h] = true
		specs = append(specs, spec(HallTopic(h)))
	}
	return append(specs, spec(SettlementTopic), spec(SupervisionTopic))
}

// validate applies Kafka's own topic rules before a request is sent, so the
// error names the spec instead of a broker error code.
func (s TopicSpec) validate() error {
	if s.Name == "" || len(s.Name) > 249 || s.Name == "." || s.Name == ".." {
		return fmt.Errorf("topic %q: name must be 1 to 249 characters and not \".\" or \"..\"", s.Name)
	}
	for _, r := range s.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic %q: name may hold only letters, digits, '.', '_' and '-'", s.Name)
		}
	}
	if s.Partitions < 1 {
		return fmt.Errorf("topic %q: partitions %d, need at least 1", s.Name, s.Partitions)
	}
	if s.ReplicationFactor < 1 {
		return fmt.Errorf("topic %q: replication factor %d, need at least 1", s.Name, s.ReplicationFactor)
	}
	return nil
}

func validateSpecs(specs []TopicSpec) error {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return err
		}
		if slices.Contains(names, s.Name) {
			return fmt.Errorf("topic %q listed twice", s.Name)
		}
		names = append(names, s.Name)
	}
	return nil
}
