package pg_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func widgets(files map[string]string) pg.Source {
	fsys := fstest.MapFS{}
	for name, sql := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(sql)}
	}
	return pg.Source{Domain: "widgets", FS: fsys, Dir: "m"}
}

var v1 = map[string]string{
	"0001_init.sql":  `CREATE TABLE widget (id int PRIMARY KEY, name text NOT NULL)`,
	"0002_price.sql": `ALTER TABLE widget ADD COLUMN price_fen bigint NOT NULL DEFAULT 0`,
}

// TestPrivateClusterFromEmptyFolder starts a server of its own in an empty folder,
// migrates it, and stops it, leaving no server process behind.
func TestPrivateClusterFromEmptyFolder(t *testing.T) {
	t.Parallel()
	// Not t.TempDir: its parent is private to us, and the server may run as another user.
	dir, err := os.MkdirTemp("", "tongban-pg-empty-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755)
	if !pg.Reachable(dir) {
		t.Fatalf("Reachable(%s) = false for a world-searchable temp dir", dir)
	}
	ctx := context.Background()
	var c *pg.Cluster
	c, err = pg.StartCluster(ctx, filepath.Join(dir, "pg"), pg.ClusterOptions{Fast: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "hall_440100"); err != nil {
		t.Fatal(err)
	}
	pool, err := pg.Open(ctx, c.DSN("hall_440100"), 4)
	if err != nil {
		t.Fatal(err)
	}
	migs, err := pg.Load(widgets(v1))
	if err != nil {
		t.Fatal(err)
	}
	n, err := pg.Migrate(ctx, pool, migs)
	if err != nil || n != 2 {
		t.Fatalf("Migrate = %d, %v; want 2 applied", n, err)
	}
	if n, err := pg.Migrate(ctx, pool, migs); err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0 applied", n, err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO widget (id, name, price_fen) VALUES (1, 'a', 100)`); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	pid := c.Port
	c.Stop()
	if _, err := os.Stat(filepath.Join(dir, "pg", "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid still there after Stop (port %d): %v", pid, err)
	}
}

func TestSchemaNewerThanBinaryIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	newer := map[string]string{"0003_colour.sql": `ALTER TABLE widget ADD COLUMN colour text`}
	for k, v := range v1 {
		newer[k] = v
	}
	pool := pgtest.New(t, widgets(newer))
	old, err := pg.Load(widgets(v1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Migrate(ctx, pool, old); !errors.Is(err, pg.ErrSchemaTooNew) {
		t.Fatalf("Migrate with an older binary: err = %v, want ErrSchemaTooNew", err)
	}
	if err := pg.Check(ctx, pool, old); !errors.Is(err, pg.ErrSchemaTooNew) {
		t.Fatalf("Check with an older binary: err = %v, want ErrSchemaTooNew", err)
	}
}

func TestCheckReportsPendingMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t, widgets(map[string]string{"0001_init.sql": v1["0001_init.sql"]}))
	migs, _ := pg.Load(widgets(v1))
	if err := pg.Check(ctx, pool, migs); !errors.Is(err, pg.ErrSchemaBehind) {
		t.Fatalf("Check = %v, want ErrSchemaBehind", err)
	}
	if _, err := pg.Migrate(ctx, pool, migs); err != nil {
		t.Fatal(err)
	}
	if err := pg.Check(ctx, pool, migs); err != nil {
		t.Fatalf("Check after Migrate = %v", err)
	}
}

func TestBrokenMigrationRollsBackAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	bad := map[string]string{
		"0001_init.sql": v1["0001_init.sql"],
		"0002_bad.sql":  `ALTER TABLE widget ADD COLUMN x int; SELECT no_such_function();`,
	}
	migs, _ := pg.Load(widgets(bad))
	if _, err := pg.Migrate(ctx, pool, migs); err == nil {
		t.Fatal("Migrate of a broken migration succeeded")
	}
	var cols int
	pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'widget'`).Scan(&cols)
	var versions int
	pool.QueryRow(ctx, `SELECT count(*) FROM schema_version`).Scan(&versions)
	if cols != 2 || versions != 1 {
		t.Fatalf("after a failed 0002: %d columns, %d versions; want 2 and 1 (0001 kept, 0002 rolled back)", cols, versions)
	}
}

func TestLoadRejectsBadNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"init.sql", "0000_zero.sql", "x1_a.sql"} {
		if _, err := pg.Load(widgets(map[string]string{name: "SELECT 1"})); err == nil {
			t.Errorf("Load accepted %q", name)
		}
	}
}
