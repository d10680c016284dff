package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/tongban/tongban/handoff"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/pg"
)

// runBench runs one named benchmark on a private PostgreSQL (durable settings, the
// same for the measured work and the commit-rate yardstick) and the embedded broker,
// unless a DSN and brokers are configured. Its last line is a RESULT line.
func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: tongban bench handoff [-duration 20s] [-clients 16]", errUsage)
	}
	switch args[0] {
	case "handoff":
		return benchHandoff(ctx, args[1:])
	}
	return fmt.Errorf("%w: benchmark %q (known: handoff)", errNotBuilt, args[0])
}

func benchHandoff(ctx context.Context, args []string) error {
	var cfg config.Common
	fs := flag.NewFlagSet("bench handoff", flag.ContinueOnError)
	dur := fs.Duration("duration", 20*time.Second, "length of the peak and of the latency phase")
	clients := fs.Int("clients", 16, "concurrent window clients in the peak phase")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if _, err := config.LoadFlags(&cfg, fs, args); err != nil {
		return wrapFlagErr(err)
	}
	log := newLogger("warn", "bench")
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	admin := cfg.DatabaseURL.Reveal()
	if admin == "" {
		dir, err := os.MkdirTemp("", "tongban-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		_ = os.Chmod(dir, 0o755)
		cl, err := pg.StartCluster(ctx, dir+"/pg", pg.ClusterOptions{Log: log})
		if err != nil {
			return err
		}
		defer cl.Stop()
		admin = cl.DSN("postgres")
	}
	b, err := node.OpenBus(ctx, cfg.Kafka, "tongban-bench", log)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := ensureTopics(ctx, b.Config, []string{"440100", "440600"}); err != nil {
		return err
	}
	res, err := handoff.Bench(ctx, handoff.BenchOptions{AdminDSN: admin, Bus: b.Config, Duration: *dur, Clients: *clients, Out: os.Stdout})
	if err != nil {
		return err
	}
	fmt.Printf("RESULT handoffs_per_s=%.1f commit_per_s=%.0f ratio=%.3f p50_ms=%.1f p99_ms=%.1f\n",
		res.HandoffsPerSec, res.CommitPerSec, res.HandoffsPerSec/res.CommitPerSec,
		float64(res.P50.Microseconds())/1000, float64(res.P99.Microseconds())/1000)
	return nil
}
