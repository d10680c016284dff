package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/tongban/tongban/handoff"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/obs"
	"github.com/tongban/tongban/internal/pg"
)

func hallMigrations() ([]pg.Migration, error) { return pg.Load(handoff.Migrations()) }

func runHall(ctx context.Context, args []string) error {
	var cfg config.Hall
	if _, err := config.Load(&cfg, "hall", args); err != nil {
		return wrapFlagErr(err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, "hall-"+cfg.Code)
	log.Info("effective configuration", slog.Any("config", config.Effective(&cfg)))
	migs, err := hallMigrations()
	if err != nil {
		return err
	}
	db, err := node.OpenDatabase(ctx, cfg.Common, "pg-hall-"+cfg.Code, "hall_"+cfg.Code, migs, log)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := node.OpenBus(ctx, cfg.Kafka, "tongban-hall-"+cfg.Code, log)
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	return serveHall(ctx, cfg, db, b, migs, ln, log)
}

// serveHall runs one hall until ctx ends: HTTP and background workers, then an
// orderly drain. The demo calls it once per city.
func serveHall(ctx context.Context, cfg config.Hall, db *node.Database, b *node.Bus, migs []pg.Migration, ln net.Listener, log *slog.Logger) error {
	if err := ensureTopics(ctx, b.Config, []string{cfg.Code}); err != nil {
		return err
	}
	health := obs.NewHealth()
	health.AddCheck("postgres", func(ctx context.Context) error { return pg.Check(ctx, db.Pool, migs) })
	health.AddCheck("kafka", func(ctx context.Context) error { return bus.Ping(ctx, b.Config) })
	n, err := handoff.NewNode(handoff.Options{Code: cfg.Code, Name: cfg.Name, DB: db.Pool, Bus: b.Config, Log: log, Health: health})
	if err != nil {
		return err
	}
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var workErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.Run(wctx); err != nil && !errors.Is(err, context.Canceled) {
			workErr = err
		}
	}()
	log.Info("hall serving", slog.String("hall", cfg.Code), slog.String("url", "http://"+ln.Addr().String()))
	err = node.ServeListener(ctx, ln, n.Handler(), cfg.ShutdownTimeout, log)
	// Shutdown order: readiness fails first, HTTP stopped accepting in ServeListener,
	// then the workers finish their batch and commit before the bus and DB close.
	health.Drain()
	stopWorkers()
	wg.Wait()
	log.Info("hall stopped", slog.String("hall", cfg.Code))
	return errors.Join(err, workErr)
}

// ensureTopics creates the halls' inboxes and the shared topics when missing, so a
// fresh embedded broker or development cluster works at once. Production provisions
// with `tongban provision`, which also reports drift.
func ensureTopics(ctx context.Context, cfg bus.Config, halls []string) error {
	_, err := bus.EnsureTopics(ctx, cfg, bus.DefaultTopics(halls, 6, 1))
	if err != nil {
		return fmt.Errorf("kafka topics: %w", err)
	}
	return nil
}

func newLogger(level, nodeName string) *slog.Logger {
	lvl, _ := config.ParseLevel(level)
	return obs.NewLogger(os.Stderr, lvl, nodeName)
}

func wrapFlagErr(err error) error {
	var p *config.Problem
	if errors.As(err, &p) {
		return err
	}
	return fmt.Errorf("%w: %v", errUsage, err)
}
