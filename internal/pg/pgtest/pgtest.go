// Package pgtest hands each test its own real PostgreSQL database, cloned from a
// template that was migrated once per schema, so tests run in parallel and start fast.
//
// The server is the one named by TONGBAN_TEST_PG_DSN (an admin DSN; `make test` starts
// one private cluster for the whole run and sets it), or else a private cluster this
// test binary starts in a temp dir and stops in Main.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/pg"
)

// EnvDSN names the environment variable with the admin DSN of a shared test server.
const EnvDSN = pg.TestDSNEnv

var (
	startOnce sync.Once
	adminDSN  string
	startErr  error
	cluster   *pg.Cluster
	tmpDir    string

	// CREATE DATABASE … TEMPLATE fails when another session copies the same template,
	// so this process serialises its clones; other processes are handled by retrying.
	cloneMu   sync.Mutex
	templates sync.Map // fingerprint -> template name
)

// Main runs the tests of a package and then stops the private cluster, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the private cluster of this process, if any.
func Stop() {
	if cluster != nil {
		cluster.Stop()
		os.RemoveAll(tmpDir)
	}
}

// AdminDSN returns the DSN of the test server's postgres database, starting a private
// cluster on first use.
func AdminDSN(tb testing.TB) string {
	tb.Helper()
	startOnce.Do(start)
	if startErr != nil {
		tb.Fatalf("pgtest: %v", startErr)
	}
	return adminDSN
}

func start() {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		adminDSN = dsn
		return
	}
	tmpDir, startErr = os.MkdirTemp("", "tongban-pgtest-")
	if startErr != nil {
		return
	}
	// The server may run as another user (we may be root): let it into the temp dir.
	_ = os.Chmod(tmpDir, 0o755)
	quiet := slog.New(slog.DiscardHandler)
	cluster, startErr = pg.StartCluster(context.Background(), tmpDir+"/pg", pg.ClusterOptions{Fast: true, Log: quiet})
	if startErr == nil {
		adminDSN = cluster.DSN("postgres")
	}
}

// DSN creates a fresh database migrated with srcs and returns its DSN; the database is
// dropped when the test ends.
func DSN(tb testing.TB, srcs ...pg.Source) string {
	tb.Helper()
	admin := AdminDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	migs, err := pg.Load(srcs...)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tpl, err := template(ctx, admin, migs)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	name := "t_" + strings.ToLower(sanitize(tb.Name())) + "_" + randomHex(4)
	if err := clone(ctx, admin, name, tpl); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() { drop(admin, name) })
	return withDatabase(admin, name)
}

// New returns a pool on a fresh database migrated with srcs, closed and dropped when
// the test ends.
func New(tb testing.TB, srcs ...pg.Source) *pgxpool.Pool {
	tb.Helper()
	dsn := DSN(tb, srcs...)
	pool, err := pg.Open(context.Background(), dsn, 20)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(pool.Close) // runs before the drop registered by DSN
	return pool
}

func template(ctx context.Context, admin string, migs []pg.Migration) (string, error) {
	fp := pg.Fingerprint(migs)
	if name, ok := templates.Load(fp); ok {
		return name.(string), nil
	}
	name := "tpl_" + fp
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// Other test binaries share the server: one builds each template, the rest wait.
	h := fnv.New64a()
	h.Write([]byte(name))
	key := int64(h.Sum64() >> 1)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return "", err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck
	var ready bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready)
	if err != nil {
		return "", err
	}
	if !ready {
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
		if err := pg.CreateDatabase(ctx, admin, name, ""); err != nil {
			return "", err
		}
		pool, err := pg.Open(ctx, withDatabase(admin, name), 2)
		if err != nil {
			return "", err
		}
		_, err = pg.Migrate(ctx, pool, migs)
		pool.Close()
		if err != nil {
			return "", err
		}
		if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` IS_TEMPLATE true`); err != nil {
			return "", err
		}
	}
	templates.Store(fp, name)
	return name, nil
}

func clone(ctx context.Context, admin, name, tpl string) error {
	cloneMu.Lock()
	defer cloneMu.Unlock()
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		err = pg.CreateDatabase(ctx, admin, name, tpl)
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func drop(admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
}

func withDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(fmt.Sprintf("pgtest: DSN %q must be a URL", dsn))
	}
	u.Path = "/" + db
	return u.String()
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
