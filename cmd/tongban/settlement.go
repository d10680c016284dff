package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tongban/tongban/handoff"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/envelope"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/obs"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/settlement"
)

// runSettlement runs the central settlement node: its own database (a private
// cluster "pg-settlement" under the data dir when no DSN is set), the waybill consumer,
// the close job and the finance API.
func runSettlement(ctx context.Context, args []string) error {
	var cfg config.Settlement
	if _, err := config.Load(&cfg, "settlement", args); err != nil {
		return wrapFlagErr(err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, "settlement")
	log.Info("effective configuration", slog.Any("config", config.Effective(&cfg)))
	layouts, err := settlement.LoadLayouts(cfg.LayoutsFile)
	if err != nil {
		return &config.Problem{Env: "TONGBAN_SETTLEMENT_BILL_LAYOUTS", Value: cfg.LayoutsFile, Accepted: err.Error()}
	}
	keys, err := settlementKeyring(cfg)
	if err != nil {
		return err
	}
	migs, err := pg.Load(settlement.Migrations())
	if err != nil {
		return err
	}
	db, err := node.OpenDatabase(ctx, cfg.Common, "pg-settlement", "settlement", migs, log)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := node.OpenBus(ctx, cfg.Kafka, "tongban-settlement", log)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := ensureTopics(ctx, b.Config, nil); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	health := obs.NewHealth()
	health.AddCheck("postgres", func(ctx context.Context) error { return pg.Check(ctx, db.Pool, migs) })
	health.AddCheck("kafka", func(ctx context.Context) error { return bus.Ping(ctx, b.Config) })
	n, err := settlement.NewNode(settlement.Options{DB: db.Pool, Bus: b.Config, Keys: keys, Log: log, Health: health,
		Layouts: layouts, CloseSchedule: cfg.CloseSchedule,
		Tolerance: settlement.Tolerance{AbsFen: cfg.ToleranceFen, BP: cfg.ToleranceBP}})
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
	log.Info("settlement serving", slog.String("url", "http://"+ln.Addr().String()), slog.Any("halls", keys.Partners()))
	err = node.ServeListener(ctx, ln, n.Handler(), cfg.ShutdownTimeout, log)
	// Readiness fails first, HTTP has stopped accepting; the consumer finishes its
	// message and commits, the close job finishes its run, then the bus and DB close.
	health.Drain()
	stopWorkers()
	wg.Wait()
	log.Info("settlement stopped")
	return errors.Join(err, workErr)
}

// settlementKeyring trusts the configured halls' keys, or in development every hall
// key kept under the data dir (where `tongban hall` and `demo` keep theirs).
func settlementKeyring(cfg config.Settlement) (*envelope.Keyring, error) {
	keys := envelope.NewKeyring(settlement.Self, nil)
	for _, h := range cfg.Halls {
		code, b64, _ := strings.Cut(h, "=")
		pub, err := handoff.ParsePublic(b64)
		if err != nil {
			return nil, &config.Problem{Env: "TONGBAN_SETTLEMENT_HALLS", Value: h, Accepted: err.Error()}
		}
		keys.Trust(code, pub)
	}
	if len(cfg.Halls) > 0 {
		return keys, nil
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "*.ed25519"))
	for _, f := range files {
		seed, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		priv, err := handoff.ParseSeed(string(seed))
		if err != nil {
			return nil, err
		}
		keys.Trust(strings.TrimSuffix(filepath.Base(f), ".ed25519"), priv.Public().(ed25519.PublicKey))
	}
	return keys, nil
}
