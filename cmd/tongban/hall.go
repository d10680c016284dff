package main

import (
	"context"

	"errors"
	"fmt"
	"github.com/tongban/tongban/handoff/catalog"
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

func hallMigrations() ([]pg.Migration, error) { return pg.Load(handoff.Sources()...) }

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
	secrets, err := loadHallSecrets(cfg)
	if err != nil {
		return err
	}
	log.Info("hall keys", slog.String("partners_entry", secrets.publicEntry()))
	carrier, err := hallCourier(log)
	if err != nil {
		return err
	}
	return serveHall(ctx, cfg, secrets, db, b, migs, ln, carrier, log)
}

// hallCatalogue reads the configured catalogue file, or the built-in demo catalogue.
func hallCatalogue(cfg config.Hall) (catalog.Catalogue, error) {
	if cfg.CatalogueFile == "" {
		return catalog.Load(cfg.Code)
	}
	b, err := os.ReadFile(cfg.CatalogueFile)
	if err != nil {
		return catalog.Catalogue{}, err
	}
	return catalog.Parse(b)
}

// serveHall runs one hall until ctx ends: HTTP and background workers, then an
// orderly drain. The demo calls it once per city.
func serveHall(ctx context.Context, cfg config.Hall, sec *hallSecrets, db *node.Database, b *node.Bus, migs []pg.Migration,
	ln net.Listener, carrier *handoff.CourierSetup, log *slog.Logger) error {
	if err := ensureTopics(ctx, b.Config, []string{cfg.Code}); err != nil {
		return err
	}
	health := obs.NewHealth()
	health.AddCheck("postgres", func(ctx context.Context) error { return pg.Check(ctx, db.Pool, migs) })
	health.AddCheck("kafka", func(ctx context.Context) error { return bus.Ping(ctx, b.Config) })
	n, err := handoff.NewNode(handoff.Options{Code: cfg.Code, Name: cfg.Name, DB: db.Pool, Bus: b.Config, Keys: sec.keys,
		Log: log, Health: health, Data: sec.data, Search: sec.search, Sealer: sec.sealer, SealKeys: sec.sealKeys,
		SecureCookies: cfg.TLSCertFile != "" || cfg.BehindTLS, AuditRetention: cfg.AuditRetention})
	if err != nil {
		return err
	}
	n.Parcels().Use(carrier)
	cat, err := hallCatalogue(cfg)
	if err != nil && !errors.Is(err, catalog.ErrUnknownHall) {
		return fmt.Errorf("catalogue: %w", err)
	}
	if err == nil {
		changed, err := n.LoadCatalogue(ctx, cat)
		if err != nil {
			return fmt.Errorf("catalogue: %w", err)
		}
		log.Info("catalogue loaded", slog.String("version", cat.Version), slog.Int("matters", len(cat.Matters)), slog.Int("changed", changed))
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
	err = node.ServeListenerTLS(ctx, ln, n.Handler(), node.TLSFiles{Cert: cfg.TLSCertFile, Key: cfg.TLSKeyFile}, cfg.ShutdownTimeout, log)
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
