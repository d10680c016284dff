package main

import (
	"context"

	"errors"
	"fmt"
	"github.com/tongban/tongban/courier/sim"
	"github.com/tongban/tongban/handoff"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/pii"
	"github.com/tongban/tongban/internal/pg"
)

// runDemo runs every node for two (or more) cities in one process: one private
// PostgreSQL with a database per hall, one embedded Kafka broker, and the hall nodes.
func runDemo(ctx context.Context, args []string) error {
	var cfg config.Demo
	if _, err := config.Load(&cfg, "demo", args); err != nil {
		return wrapFlagErr(err)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, "demo")
	log.Info("effective configuration", slog.Any("config", config.Effective(&cfg)))

	admin, stopPG, err := demoPostgres(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer stopPG()
	b, err := node.OpenBus(ctx, cfg.Kafka, "tongban-demo", log)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := ensureTopics(ctx, b.Config, cfg.Halls); err != nil {
		return err
	}
	migs, err := hallMigrations()
	if err != nil {
		return err
	}

	secrets, err := demoSecrets(cfg)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cfg.Halls))
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var urls []string
	for i, code := range cfg.Halls {
		hall := config.Hall{Code: code, Common: cfg.Common}
		hall.HTTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.BasePort+i+1))
		dsn := withDB(admin, "hall_"+code)
		if err := pg.CreateDatabase(ctx, admin, "hall_"+code, ""); err != nil {
			return err
		}
		db, err := node.OpenDSN(ctx, dsn, true, migs, log)
		if err != nil {
			return err
		}
		defer db.Close()
		ln, err := net.Listen("tcp", hall.HTTPAddr)
		if err != nil {
			return fmt.Errorf("demo: hall %s: %w", code, err)
		}
		urls = append(urls, fmt.Sprintf("  hall %s  http://%s/", code, hall.HTTPAddr))
		hlog := log
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = serveHall(hctx, hall, secrets[code], db, b, migs, ln, hlog)
			if errs[i] != nil {
				cancel() // one hall failing stops the demo rather than half-running it
			}
		}()
	}
	simAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.BasePort+len(cfg.Halls)+2))
	simCfg, err := simConfig(config.CourierSim{TimeScale: 600, Seed: 1})
	if err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := sim.Run(hctx, simAddr, simCfg, log.With(slog.String("node", "courier-sim"))); err != nil && hctx.Err() == nil {
			log.Error("courier simulator stopped", slog.String("err", err.Error()))
		}
	}()
	urls = append(urls, fmt.Sprintf("  courier simulator  http://%s/ (SF /sf, EMS /ems, kuaidi100 /kuaidi100; bills at /sim/bills)", simAddr))
	if cfg.Scenario > 0 {
		bases := map[string]string{}
		for i, code := range cfg.Halls {
			bases[code] = fmt.Sprintf("http://127.0.0.1:%d", cfg.BasePort+i+1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			handoff.RunScenario(hctx, handoff.ScenarioOptions{Halls: bases, Interval: cfg.Scenario, Step: time.Second, Log: log})
		}()
	}
	fmt.Println("Tongban demo is running. Point a browser at:")
	for _, u := range urls {
		fmt.Println(u)
	}
	fmt.Println("Each answers /healthz, /readyz and /metrics. Ctrl-C stops everything.")
	wg.Wait()
	return errors.Join(errs...)
}

// demoSecrets gives every demo hall its keys (kept under the data dir) and makes
// each trust all the others, as operators would by exchanging TONGBAN_PARTNERS entries.
func demoSecrets(cfg config.Demo) (map[string]*hallSecrets, error) {
	out := map[string]*hallSecrets{}
	for _, code := range cfg.Halls {
		s, err := loadHallSecrets(config.Hall{Code: code, Common: cfg.Common})
		if err != nil {
			return nil, err
		}
		out[code] = s
	}
	for code, s := range out {
		for other, o := range out {
			if other != code {
				pub, _ := handoff.ParsePublic(o.keys.Public())
				s.keys.Trust(other, pub)
				sp, _ := pii.ParseX25519Public(o.sealer.Public())
				s.sealKeys[other] = sp
			}
		}
	}
	return out, nil
}

// demoPostgres returns an admin DSN: the configured one, or a private cluster's under
// the data dir, which it stops when the demo ends.
func demoPostgres(ctx context.Context, cfg config.Demo, log *slog.Logger) (string, func(), error) {
	if dsn := cfg.DatabaseURL.Reveal(); dsn != "" {
		return dsn, func() {}, nil
	}
	cl, err := pg.StartCluster(ctx, node.PrivateClusterDir(cfg.DataDir, "pg"), pg.ClusterOptions{Log: log})
	if err != nil {
		return "", nil, err
	}
	return cl.DSN("postgres"), cl.Stop, nil
}
