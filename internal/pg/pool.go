// Package pg holds what every domain needs from PostgreSQL: a pgx pool, embedded
// numbered migrations, and a private cluster for the demo and the tests.
package pg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrUnreachable marks a database that did not answer at start, so the command line
// can print one line naming it instead of a stack trace.
var ErrUnreachable = errors.New("pg: database unreachable")

// Open returns a pool on dsn after a successful ping. maxConns 0 keeps pgx's default.
func Open(ctx context.Context, dsn string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pg: parse DSN: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn)
		registerArrays(conn)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pg: open pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w at %s:%d (database %q): %v", ErrUnreachable,
			cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// Redact returns dsn with any password replaced, for the effective-config printout.
func Redact(dsn string) string {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil || cfg.ConnConfig.Password == "" {
		return dsn
	}
	return fmt.Sprintf("postgres://%s:****@%s:%d/%s", cfg.ConnConfig.User, cfg.ConnConfig.Host,
		cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}
