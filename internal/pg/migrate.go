package pg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A Source is one domain's migrations: files named NNNN_name.sql in FS under Dir.
// Each domain owns its tables, so each keeps its own version line in schema_version.
type Source struct {
	Domain string
	FS     fs.FS
	Dir    string
}

// Migration is one numbered SQL file of a domain.
type Migration struct {
	Domain  string
	Version int
	Name    string
	SQL     string
}

// ErrSchemaTooNew is returned when the database holds a migration this binary does not
// know: running old code on a newer schema could corrupt data, so we refuse.
var ErrSchemaTooNew = errors.New("pg: database schema is newer than this binary")

// ErrSchemaBehind is returned by Check when migrations are pending.
var ErrSchemaBehind = errors.New("pg: database schema has pending migrations")

// Load reads and orders the migrations of every source.
func Load(srcs ...Source) ([]Migration, error) {
	var out []Migration
	for _, s := range srcs {
		entries, err := fs.ReadDir(s.FS, s.Dir)
		if err != nil {
			return nil, fmt.Errorf("pg: read migrations of %s: %w", s.Domain, err)
		}
		seen := map[int]string{}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil || v <= 0 {
				return nil, fmt.Errorf("pg: migration %s/%s: name must be NNNN_name.sql", s.Domain, e.Name())
			}
			if prev, dup := seen[v]; dup {
				return nil, fmt.Errorf("pg: migrations %s and %s of %s share version %d", prev, e.Name(), s.Domain, v)
			}
			seen[v] = e.Name()
			body, err := fs.ReadFile(s.FS, path.Join(s.Dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("pg: read %s: %w", e.Name(), err)
			}
			out = append(out, Migration{Domain: s.Domain, Version: v, Name: name, SQL: string(body)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// Fingerprint identifies a set of migrations, so a test template can be reused only by
// binaries with the very same schema.
func Fingerprint(migs []Migration) string {
	h := sha256.New()
	for _, m := range migs {
		fmt.Fprintf(h, "%s/%d/%s\n%s\n", m.Domain, m.Version, m.Name, m.SQL)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

const versionTable = `CREATE TABLE IF NOT EXISTS schema_version (
	domain     text        NOT NULL,
	version    int         NOT NULL,
	name       text        NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (domain, version))`

// migrateLock is the advisory lock key that keeps two replicas from migrating at once.
const migrateLock = 0x7467_6d69 // "tgmi"

// Migrate applies every pending migration, each in its own transaction together with
// its schema_version row. It refuses a database that is ahead of migs.
func Migrate(ctx context.Context, pool *pgxpool.Pool, migs []Migration) (applied int, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("pg: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return 0, fmt.Errorf("pg: migrate lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock) //nolint:errcheck
	if _, err := conn.Exec(ctx, versionTable); err != nil {
		return 0, fmt.Errorf("pg: create schema_version: %w", err)
	}
	have, err := versions(ctx, conn.Conn())
	if err != nil {
		return 0, err
	}
	if err := tooNew(have, migs); err != nil {
		return 0, err
	}
	for _, m := range migs {
		if have[m.Domain][m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_version (domain, version, name) VALUES ($1, $2, $3)`,
				m.Domain, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("pg: migration %s %04d_%s: %w", m.Domain, m.Version, m.Name, err)
		}
		applied++
	}
	return applied, nil
}

// Check reports whether the database is exactly at migs: ErrSchemaTooNew or
// ErrSchemaBehind otherwise. /readyz uses it.
func Check(ctx context.Context, pool *pgxpool.Pool, migs []Migration) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pg: check schema: %w", err)
	}
	defer conn.Release()
	have, err := versions(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if err := tooNew(have, migs); err != nil {
		return err
	}
	for _, m := range migs {
		if !have[m.Domain][m.Version] {
			return fmt.Errorf("%w: %s %04d_%s", ErrSchemaBehind, m.Domain, m.Version, m.Name)
		}
	}
	return nil
}

func versions(ctx context.Context, conn *pgx.Conn) (map[string]map[int]bool, error) {
	have := map[string]map[int]bool{}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("pg: read schema_version: %w", err)
	}
	if !exists {
		return have, nil
	}
	rows, err := conn.Query(ctx, `SELECT domain, version FROM schema_version`)
	if err != nil {
		return nil, fmt.Errorf("pg: read schema_version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var v int
		if err := rows.Scan(&d, &v); err != nil {
			return nil, err
		}
		if have[d] == nil {
			have[d] = map[int]bool{}
		}
		have[d][v] = true
	}
	return have, rows.Err()
}

func tooNew(have map[string]map[int]bool, migs []Migration) error {
	known := map[string]map[int]bool{}
	for _, m := range migs {
		if known[m.Domain] == nil {
			known[m.Domain] = map[int]bool{}
		}
		known[m.Domain][m.Version] = true
	}
	for d, vs := range have {
		if known[d] == nil {
			// Another node's domain sharing the database is not ours to judge.
			continue
		}
		for v := range vs {
			if !known[d][v] {
				return fmt.Errorf("%w: %s has version %d, unknown to this binary; upgrade the binary before running it here", ErrSchemaTooNew, d, v)
			}
		}
	}
	return nil
}
