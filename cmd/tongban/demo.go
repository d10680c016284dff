package main

import (
	"context"

	"errors"
	"fmt"
	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sim"
	"github.com/tongban/tongban/handoff"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pii"
	"github.com/tongban/tongban/settlement"
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
	tokens := map[string]map[auth.Role]string{}
	// The courier simulator first: each hall has its own simulated SF account, whose
	// route pushes come back to that hall's callback route.
	simAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.BasePort+len(cfg.Halls)+2))
	simURL := "http://" + simAddr
	// A seed of its own each run: the halls' databases outlive a demo, and a simulator
	// numbering its waybills as the last run did would hand out numbers they already hold.
	simCfg, err := simConfig(config.CourierSim{TimeScale: 3600, Seed: time.Now().UnixNano()})
	if err != nil {
		return err
	}
	for i, code := range cfg.Halls {
		acc := demoSFAccount(code)
		acc.PushURL = fmt.Sprintf("http://127.0.0.1:%d/api/v1/courier/callbacks/sf", cfg.BasePort+i+1)
		simCfg.SF = append(simCfg.SF, acc)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := sim.Run(hctx, simAddr, simCfg, log.With(slog.String("node", "courier-sim"))); err != nil && hctx.Err() == nil {
			log.Error("courier simulator stopped", slog.String("err", err.Error()))
		}
	}()
	urls = append(urls, fmt.Sprintf("  courier simulator  %s/ (SF /sf, EMS /ems, kuaidi100 /kuaidi100; bills at /sim/bills)", simURL))
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
		if tokens[code], err = demoUsers(ctx, db, code); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", hall.HTTPAddr)
		if err != nil {
			return fmt.Errorf("demo: hall %s: %w", code, err)
		}
		urls = append(urls, fmt.Sprintf("  hall %s  http://%s/console/", code, hall.HTTPAddr))
		hlog := log
		carrier, err := demoCourier(simURL, "http://"+hall.HTTPAddr, code)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = serveHall(hctx, hall, secrets[code], db, b, migs, ln, carrier, hlog)
			if errs[i] != nil {
				cancel() // one hall failing stops the demo rather than half-running it
			}
		}()
	}
	financeUsers, err := startDemoSettlement(hctx, cfg, admin, b, log, &wg, cancel, &urls)
	if err != nil {
		return err
	}
	if cfg.Scenario > 0 {
		bases := map[string]string{}
		for i, code := range cfg.Halls {
			bases[code] = fmt.Sprintf("http://127.0.0.1:%d", cfg.BasePort+i+1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			handoff.RunScenario(hctx, handoff.ScenarioOptions{Halls: bases, Tokens: tokens, Interval: cfg.Scenario, Step: time.Second,
				CourierDelivers: true, Log: log})
		}()
	}
	fmt.Println("Tongban demo is running. Point a browser at:")
	for _, u := range urls {
		fmt.Println(u)
	}
	fmt.Println("Each answers /healthz, /readyz and /metrics. Ctrl-C stops everything.")
	fmt.Printf("Demo staff (password %q for every account):\n", demoPassword)
	for _, code := range cfg.Halls {
		fmt.Printf("  %s: ", code)
		for _, r := range demoRoles {
			fmt.Printf("%s.%s ", demoUserPrefix[r], code)
		}
		fmt.Println()
	}
	fmt.Printf("  centre: %s\n", strings.Join(financeUsers, " "))
	wg.Wait()
	return errors.Join(errs...)
}

// demoSFAccount is a demo hall's simulated SF account.
func demoSFAccount(code string) sim.SFAccount {
	return sim.SFAccount{PartnerID: "TB_SF_" + code, CheckWord: courier.Secret("sim-sf-check-word-" + code), MonthlyCard: "755" + code}
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

// The demo's staff: one account per hall role in each hall, with one known password,
// printed at start; never use them anywhere else.
const demoPassword = "tongban-demo-2026"

var (
	demoRoles      = []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Supervisor, auth.Admin}
	demoUserPrefix = map[auth.Role]string{auth.WindowClerk: "clerk", auth.HallStaff: "staff", auth.Supervisor: "supervisor", auth.Admin: "admin"}
)

// demoUsers makes the demo accounts of a hall (once) and API tokens for the scripted
// scenario (each start).
func demoUsers(ctx context.Context, db *node.Database, code string) (map[auth.Role]string, error) {
	svc := auth.New(auth.Options{DB: db.Pool, Scope: code})
	tokens := map[auth.Role]string{}
	for _, r := range demoRoles {
		username := demoUserPrefix[r] + "." + code
		var p auth.Principal
		err := db.Pool.QueryRow(ctx, `SELECT id, username, role, hall FROM staff_users WHERE username = $1`, username).
			Scan(&p.UserID, &p.Username, &p.Role, &p.Hall)
		if err != nil {
			u, err := svc.CreateUser(ctx, auth.NewUser{Username: username, Name: "演示" + string(r), Role: r, Hall: code, Password: demoPassword})
			if err != nil {
				return nil, err
			}
			p = auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Hall: u.Hall}
		}
		tok, _, err := svc.CreateToken(ctx, &p, "demo scenario", []string{auth.ScopeWrite}, 24*time.Hour)
		if err != nil {
			return nil, err
		}
		tokens[r] = tok
	}
	return tokens, nil
}

// startDemoSettlement runs the central settlement node beside the halls, trusting
// their keys, with demo finance accounts. It returns their usernames.
func startDemoSettlement(ctx context.Context, cfg config.Demo, admin string, b *node.Bus, log *slog.Logger,
	wg *sync.WaitGroup, cancel context.CancelFunc, urls *[]string) ([]string, error) {
	scfg := config.Settlement{Common: cfg.Common}
	scfg.HTTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.BasePort+len(cfg.Halls)+1))
	sec, err := loadSettlementSecrets(scfg)
	if err != nil {
		return nil, err
	}
	migs, err := settlementMigrations()
	if err != nil {
		return nil, err
	}
	if err := pg.CreateDatabase(ctx, admin, "settlement", ""); err != nil {
		return nil, err
	}
	db, err := node.OpenDSN(ctx, withDB(admin, "settlement"), true, migs, log)
	if err != nil {
		return nil, err
	}
	users, err := settlement.DemoUsers(ctx, auth.New(auth.Options{DB: db.Pool, Scope: auth.Centre}), demoPassword)
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", scfg.HTTPAddr)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("demo: settlement: %w", err)
	}
	*urls = append(*urls, fmt.Sprintf("  settlement (finance)  http://%s/finance/", scfg.HTTPAddr))
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer db.Close()
		if err := serveSettlement(ctx, scfg, sec, db, b, migs, ln, log.With(slog.String("node", "settlement"))); err != nil {
			log.Error("settlement stopped", slog.String("err", err.Error()))
			cancel()
		}
	}()
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.Username
	}
	return names, nil
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
