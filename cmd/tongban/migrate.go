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

// runMigrate applies the hall schema to TONGBAN_DATABASE_URL (or -database-url) and
// reports the versions. Settlement joins when its domain lands.
func runMigrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	nodeKind := fs.String("node", "hall", "which node's schema: hall")
	var cfg config.Hall
	if _, err := config.LoadFlags(&cfg, fs, args); err != nil {
		return wrapFlagErr(err)
	}
	if *nodeKind != "hall" {
		return &config.Problem{Env: "-node", Value: *nodeKind, Accepted: "hall"}
	}
	if cfg.DatabaseURL == "" {
		return &config.Problem{Env: "TONGBAN_DATABASE_URL", Value: "", Accepted: "the DSN of the database to migrate"}
	}
	log := newLogger(cfg.LogLevel, "migrate")
	migs, err := hallMigrations()
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
	last := migs[len(migs)-1]
	log.Info("schema current", slog.String("domain", last.Domain), slog.Int("version", last.Version))
	fmt.Printf("%s schema at version %d\n", last.Domain, last.Version)
	return nil
}
