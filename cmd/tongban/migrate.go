package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/pg"
)

// runMigrate applies a node's schema (hall or settlement) to TONGBAN_DATABASE_URL (or
// -database-url) and reports the versions.
func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	nodeKind := fs.String("node", "hall", "which node's schema: hall or settlement")
	var cfg config.Hall
	if _, err := config.LoadFlags(&cfg, fs, args); err != nil {
		return wrapFlagErr(err)
	}
	if *nodeKind != "hall" && *nodeKind != "settlement" {
		return &config.Problem{Env: "-node", Value: *nodeKind, Accepted: "hall or settlement"}
	}
	if cfg.DatabaseURL == "" {
		return &config.Problem{Env: "TONGBAN_DATABASE_URL", Value: "", Accepted: "the DSN of the database to migrate"}
	}
	log := newLogger(cfg.LogLevel, "migrate")
	load := hallMigrations
	if *nodeKind == "settlement" {
		load = settlementMigrations
	}
	migs, err := load()
	if err != nil {
		return err
	}
	db, err := node.OpenDSN(ctx, cfg.DatabaseURL.Reveal(), true, migs, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := pg.Check(ctx, db.Pool, migs); err != nil {
		return err
	}
	latest := map[string]int{}
	for _, m := range migs {
		latest[m.Domain] = max(latest[m.Domain], m.Version)
	}
	for domain, v := range latest {
		log.Info("schema current", slog.String("domain", domain), slog.Int("version", v))
		fmt.Printf("%s schema at version %d\n", domain, v)
	}
	return nil
}
