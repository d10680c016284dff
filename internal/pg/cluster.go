package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries is returned when initdb or postgres cannot be found.
var ErrNoBinaries = errors.New("pg: PostgreSQL server binaries (initdb, postgres) not found; install them with `sudo apt-get install -y postgresql` (Debian/Ubuntu) or set TONGBAN_PG_BIN to their directory, or configure a DSN for an existing server")

// Cluster is a private PostgreSQL server that Tongban starts itself when no DSN is
// configured: the demo keeps one under .data/pg, the tests one in a temp dir. It
// listens on loopback only and trusts local connections, so it must never hold real data.
type Cluster struct {
	Dir  string
	Port int
	cmd  *exec.Cmd
	done chan error
	log  *slog.Logger
}

// ClusterOptions tune a private cluster.
type ClusterOptions struct {
	// Fast turns off fsync and friends: right for throwaway test clusters, wrong for
	// anything that must survive a power cut.
	Fast bool
	// MaxConnections defaults to 200.
	MaxConnections int
	// Settings are extra server settings, name=value, for example
	// shared_preload_libraries=pg_stat_statements when a benchmark is profiled.
	Settings []string
	Log      *slog.Logger
}

// FindBin locates a PostgreSQL server binary: TONGBAN_PG_BIN, then PATH, then the newest
// /usr/lib/postgresql/*/bin (Debian installs the server there, off PATH).
func FindBin(name string) (string, error) {
	if dir := os.Getenv("TONGBAN_PG_BIN"); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBinaries
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// StartCluster initialises dir if it holds no cluster yet, starts the server on a free
// loopback port with its socket in dir, and waits until it accepts connections. The
// server is in its own process group, so Ctrl-C reaches Tongban, which then stops it in
// order; if Tongban dies, the kernel sends the server SIGINT (fast shutdown).
func StartCluster(ctx context.Context, dir string, opt ClusterOptions) (*Cluster, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.MaxConnections == 0 {
		opt.MaxConnections = 200
	}
	initdb, err := FindBin("initdb")
	if err != nil {
		return nil, err
	}
	postgres, err := FindBin("postgres")
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pg: cluster dir: %w", err)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	// Parents we create must let the server user through; the cluster dir stays private.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("pg: create cluster dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pg: create cluster dir: %w", err)
	}
	if cred != nil {
		if err := chownTree(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		opt.Log.Info("initialising private PostgreSQL cluster", slog.String("dir", dir))
		args := []string{"-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"}
		if opt.Fast {
			args = append(args, "--no-sync")
		}
		c := exec.CommandContext(ctx, initdb, args...)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pg: initdb %s: %w\n%s", dir, err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"-D", dir, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=" + strconv.Itoa(opt.MaxConnections),
		"-c", "shared_buffers=128MB"}
	if opt.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for _, s := range opt.Settings {
		args = append(args, "-c", s)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pg: server log: %w", err)
	}
	if cred != nil {
		_ = logf.Chown(int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(postgres, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("pg: start postgres: %w", err)
	}
	c := &Cluster{Dir: dir, Port: port, cmd: cmd, done: make(chan error, 1), log: opt.Log}
	go func() { c.done <- cmd.Wait(); logf.Close() }()
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	opt.Log.Info("private PostgreSQL started", slog.String("dir", dir), slog.Int("port", port))
	return c, nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, c.DSN("postgres"))
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case werr := <-c.done:
			c.done <- werr
			tail, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
			return fmt.Errorf("pg: postgres exited at start (%v); server.log:\n%s", werr, lastLines(string(tail), 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pg: postgres in %s not ready after 60s: %v", c.Dir, err)
		}
	}
}

// DSN is the connection string for database db on this cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// CreateDatabase creates db unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, db string) error {
	return CreateDatabase(ctx, c.DSN("postgres"), db, "")
}

// Stop shuts the server down with a fast shutdown and waits for it to exit.
func (c *Cluster) Stop() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.log.Info("private PostgreSQL stopped", slog.String("dir", c.Dir))
}

// CreateDatabase creates db on the server behind adminDSN, from template when given,
// unless it exists already.
func CreateDatabase(ctx context.Context, adminDSN, db, template string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return fmt.Errorf("pg: create database %s: %w", db, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return fmt.Errorf("pg: create database %s: %w", db, err)
	}
	if exists {
		return nil
	}
	sql := "CREATE DATABASE " + pgx.Identifier{db}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pg: create database %s: %w", db, err)
	}
	return nil
}

// serverCredential returns the unprivileged user to run the server as when we are root
// (PostgreSQL refuses to run as root), or nil when we are not root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pg: running as root and found neither a postgres nor a nobody user to run the private server as; create one with `useradd -r postgres`")
}

// Reachable reports whether the server user can reach dir: every parent must be
// searchable by others, or the server cannot open its own data directory.
func Reachable(dir string) bool {
	if os.Geteuid() != 0 {
		return true
	}
	dir, _ = filepath.Abs(dir)
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if p == "/" {
			return true
		}
	}
}

func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pg: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestDSNEnv names the environment variable with the admin DSN of a server shared by a
// whole test run (`tongban testenv` sets it; package pgtest reads it).
const TestDSNEnv = "TONGBAN_TEST_PG_DSN"
