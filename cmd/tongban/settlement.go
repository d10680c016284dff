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
	"github.com/tongban/tongban/internal/pii"
	"github.com/tongban/tongban/settlement"
)

// runSettlement runs the central settlement node: its own database (a private
// cluster "pg-settlement" under the data dir when no DSN is set), the waybill consumer,
// the close job and the finance API behind staff login.
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
	sec, err := loadSettlementSecrets(cfg)
	if err != nil {
		return err
	}
	migs, err := settlementMigrations()
	if err != nil {
		return err
	}
	db, err := openSettlementDatabase(ctx, cfg.Common, migs, log)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := node.OpenBus(ctx, cfg.Kafka, "tongban-settlement", log)
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	return serveSettlement(ctx, cfg, sec, db, b, migs, ln, log)
}

// settlementMigrations are settlement's schema and the staff accounts'.
func settlementMigrations() ([]pg.Migration, error) { return pg.Load(settlement.Sources()...) }

// openSettlementDatabase opens (and migrates) settlement's database: the DSN's, or a
// private cluster "pg-settlement" under the data dir. `tongban user add` for the
// centre's accounts needs the same database.
func openSettlementDatabase(ctx context.Context, c config.Common, migs []pg.Migration, log *slog.Logger) (*node.Database, error) {
	return node.OpenDatabase(ctx, c, "pg-settlement", "settlement", migs, log)
}

// settlementSecrets are settlement's keys: the halls' public signing keys it trusts
// waybill events from, and the data key sealing staff's TOTP secrets.
type settlementSecrets struct {
	keys *envelope.Keyring
	data *pii.AESKeyring
}

// loadSettlementSecrets reads the configured keys. A data key left empty is generated
// once and kept under the data dir (keys/settlement/), right for the demo and
// development and wrong for production, where it comes from a secret.
func loadSettlementSecrets(cfg config.Settlement) (*settlementSecrets, error) {
	keys, err := settlementKeyring(cfg)
	if err != nil {
		return nil, err
	}
	keyID, spec := cfg.DataKeyID, cfg.DataKeys.Reveal()
	if spec == "" {
		keyID = "local1"
		b64, err := localSecret(filepath.Join(cfg.DataDir, "keys", "settlement", "data-local1.key"),
			func() (string, error) { return pii.EncodeKey(pii.GenerateKey()), nil })
		if err != nil {
			return nil, err
		}
		spec = keyID + ":" + b64
	}
	data, err := pii.LoadAESKeyring(keyID, spec, "")
	if err != nil {
		return nil, &config.Problem{Env: "TONGBAN_DATA_KEYS", Value: "****", Accepted: err.Error()}
	}
	return &settlementSecrets{keys: keys, data: data}, nil
}

// serveSettlement runs the settlement node until ctx ends: HTTP, the consumer and the
// close job, then an orderly drain. The demo can call it with its own listener.
func serveSettlement(ctx context.Context, cfg config.Settlement, sec *settlementSecrets, db *node.Database, b *node.Bus, migs []pg.Migration, ln net.Listener, log *slog.Logger) error {
	layouts, err := settlement.LoadLayouts(cfg.LayoutsFile)
	if err != nil {
		return &config.Problem{Env: "TONGBAN_SETTLEMENT_BILL_LAYOUTS", Value: cfg.LayoutsFile, Accepted: err.Error()}
	}
	if err := ensureTopics(ctx, b.Config, nil); err != nil {
		return err
	}
	health := obs.NewHealth()
	health.AddCheck("postgres", func(ctx context.Context) error { return pg.Check(ctx, db.Pool, migs) })
	health.AddCheck("kafka", func(ctx context.Context) error { return bus.Ping(ctx, b.Config) })
	n, err := settlement.NewNode(settlement.Options{DB: db.Pool, Bus: b.Config, Keys: sec.keys, Log: log, Health: health,
		Layouts: layouts, CloseSchedule: cfg.CloseSchedule,
		Tolerance: settlement.Tolerance{AbsFen: cfg.ToleranceFen, BP: cfg.ToleranceBP},
		Data:      sec.data, SecureCookies: cfg.TLSCertFile != "" || cfg.BehindTLS})
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
	log.Info("settlement serving", slog.String("url", "http://"+ln.Addr().String()), slog.Any("halls", sec.keys.Partners()))
	err = node.ServeListenerTLS(ctx, ln, n.Handler(), node.TLSFiles{Cert: cfg.TLSCertFile, Key: cfg.TLSKeyFile}, cfg.ShutdownTimeout, log)
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
