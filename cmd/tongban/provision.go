package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
)

// runProvision creates missing topics and reports drift on existing ones; it never
// changes an existing topic, so an operator decides about every difference.
func runProvision(ctx context.Context, args []string) error {
	var k config.Kafka
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	halls := fs.String("halls", "440100,440600", "division codes whose inbox topics to provision")
	partitions := fs.Int("partitions", 12, "partitions per topic")
	rf := fs.Int("replication-factor", 3, "replication factor (1 for the embedded broker)")
	if _, err := config.LoadFlags(&k, fs, args); err != nil {
		return wrapFlagErr(err)
	}
	if err := k.Validate(); err != nil {
		return err
	}
	if len(k.Brokers) == 0 {
		return &config.Problem{Env: "TONGBAN_KAFKA_BROKERS", Value: "", Accepted: "the brokers of the cluster to provision"}
	}
	var codes []string
	if err := config.SplitCodes(*halls, &codes); err != nil {
		return err
	}
	cfg := node.BusConfig(k, "tongban-provision")
	rep, err := bus.EnsureTopics(ctx, cfg, bus.DefaultTopics(codes, *partitions, *rf))
	fmt.Print(rep.String())
	return err
}
