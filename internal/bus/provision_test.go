package bus

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnsureTopicsCreatesThenReportsDrift(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := startBroker(t).Config()
	specs := DefaultTopics([]string{"110105", "310101", "110105"}, 3, 1)

	rep := ensure(t, ctx, cfg, specs...)
	want := []string{HallTopic("110105"), HallTopic("310101"), SettlementTopic, SupervisionTopic}
	if !slices.Equal(rep.Created, want) || len(rep.OK) != 0 || rep.HasDrift() {
		t.Fatalf("first run:\n%s", rep)
	}

	// Same specs again: everything is there and matches, partition count
	// and configs included.
	rep = ensure(t, ctx, cfg, specs...)
	if len(rep.Created) != 0 || !slices.Equal(rep.OK, want) || rep.HasDrift() {
		t.Fatalf("second run:\n%s", rep)
	}

	// A different partition count and retention: reported, not applied.
	changed := specs[0]
	changed.Partitions = 5
	changed.Configs = map[string]string{"retention.ms": "60000", "min.insync.replicas": "1"}
	rep = ensure(t, ctx, cfg, changed)
	wantDrift := []Drift{
		{Topic: changed.Name, Setting: "partitions", Want: "5", Have: "3"},
		{Topic: changed.Name, Setting: "retention.ms", Want: "60000", Have: "1209600000"},
	}
	if !slices.Equal(rep.Drift, wantDrift) || len(rep.OK) != 0 || len(rep.Created) != 0 {
		t.Fatalf("drift run:\n%s", rep)
	}
	if !strings.Contains(rep.String(), "drift   tongban.hall.110105: partitions want 5, have 3") {
		t.Fatalf("report does not print the drift:\n%s", rep)
	}

	// Nothing was changed by the drift run.
	rep = ensure(t, ctx, cfg, specs[0])
	if rep.HasDrift() {
		t.Fatalf("drift run altered the topic:\n%s", rep)
	}
}

func TestEnsureTopicsRefusesBadSpecs(t *testing.T) {
	t.Parallel()
	cfg := Config{Brokers: []string{"127.0.0.1:1"}} // never dialled
	for _, spec := range []TopicSpec{
		{Name: "tongban.hall.11 01", Partitions: 1, ReplicationFactor: 1},
		{Name: "", Partitions: 1, ReplicationFactor: 1},
		{Name: "t", Partitions: 0, ReplicationFactor: 1},
		{Name: "t", Partitions: 1, ReplicationFactor: 0},
	} {
		if _, err := EnsureTopics(context.Background(), cfg, []TopicSpec{spec}); err == nil {
			t.Errorf("spec %+v accepted", spec)
		}
	}
}

func TestEnsureTopicsRejectsImpossibleReplication(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	cfg := startBroker(t).Config()
	// One embedded broker cannot hold three replicas; the broker's refusal
	// must surface as an error, not as a "created" line.
	_, err := EnsureTopics(ctx, cfg, DefaultTopics([]string{"110105"}, 1, 3)[:1])
	if err == nil || !strings.Contains(err.Error(), "bus: ensure topics: create tongban.hall.110105") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultTopics(t *testing.T) {
	t.Parallel()
	specs := DefaultTopics([]string{"440305"}, 6, 3)
	if len(specs) != 3 || specs[0].Name != "tongban.hall.440305" || specs[1].Name != "tongban.settlement.waybills" || specs[2].Name != "tongban.supervision.alerts" {
		t.Fatalf("names: %+v", specs)
	}
	for _, s := range specs {
		if s.Partitions != 6 || s.ReplicationFactor != 3 || s.Configs["min.insync.replicas"] != "2" || s.Configs["retention.ms"] != "1209600000" {
			t.Fatalf("spec %+v", s)
		}
	}
	if got := DefaultTopics(nil, 1, 1)[0].Configs["min.insync.replicas"]; got != "1" {
		t.Fatalf("min.insync.replicas with rf 1 = %s", got)
	}
	// Each spec owns its map: changing one must not change the others.
	specs[0].Configs["retention.ms"] = "1"
	if specs[1].Configs["retention.ms"] == "1" {
		t.Fatal("specs share one Configs map")
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	e := startBroker(t)
	// A dead first broker must not hide a live second one.
	cfg := Config{Brokers: append([]string{deadAddr(t)}, e.Brokers()...)}
	if err := Ping(ctx, cfg); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	err := Ping(ctx, Config{Brokers: []string{deadAddr(t)}, DialTimeout: time.Second})
	if err == nil || !strings.HasPrefix(err.Error(), "bus: ping: ") {
		t.Fatalf("ping of a closed port: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("ping of a closed port took %s", d)
	}
	if err := Ping(ctx, Config{}); err == nil {
		t.Fatal("ping without brokers succeeded")
	}
}
