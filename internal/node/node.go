// Package node is the plumbing every Tongban node shares: it resolves the database
// (a configured DSN or a private cluster), migrates it, reaches Kafka (configured
// brokers or an embedded broker), serves HTTP and shuts down in order.
package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/pg"
)

// ErrKafkaUnreachable marks brokers that did not answer at start.
var ErrKafkaUnreachable = errors.New("kafka unreachable")

// Database is an open, migrated database and what must be stopped after it.
type Database struct {
	Pool    *pgxpool.Pool
	DSN     string
	Cluster *pg.Cluster // nil when a DSN was configured
}

// Close closes the pool and stops the private cluster, if any.
func (d *Database) Close() {
	if d == nil {
		return
	}
	if d.Pool != nil {
		d.Pool.Close()
	}
	d.Cluster.Stop()
}

// PrivateClusterDir is where a node keeps its private cluster under dataDir. A root
// user's data dir may sit under a folder the unprivileged server user cannot enter
// (/root): then the cluster goes to the system temp dir, named after dataDir.
func PrivateClusterDir(dataDir, name string) string {
	dir := filepath.Join(dataDir, name)
	if pg.Reachable(dir) {
		return dir
	}
	abs, _ := filepath.Abs(dir)
	return filepath.Join("/var/tmp", "tongban-"+shortHash(abs), name)
}

// OpenDatabase opens the configured database, or starts a private cluster in
// dataDir/clusterName and creates dbName in it; then applies or checks migs.
func OpenDatabase(ctx context.Context, c config.Common, clusterName, dbName string, migs []pg.Migration, log *slog.Logger) (*Database, error) {
	d := &Database{DSN: c.DatabaseURL.Reveal()}
	if d.DSN == "" {
		cl, err := pg.StartCluster(ctx, PrivateClusterDir(c.DataDir, clusterName), pg.ClusterOptions{Log: log})
		if err != nil {
			return nil, err
		}
		d.Cluster = cl
		if err := cl.CreateDatabase(ctx, dbName); err != nil {
			cl.Stop()
			return nil, err
		}
		d.DSN = cl.DSN(dbName)
	}
	if err := d.open(ctx, c.Migrate, migs, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenDSN opens dsn and applies or checks migs.
func OpenDSN(ctx context.Context, dsn string, migrate bool, migs []pg.Migration, log *slog.Logger) (*Database, error) {
	d := &Database{DSN: dsn}
	if err := d.open(ctx, migrate, migs, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Database) open(ctx context.Context, migrate bool, migs []pg.Migration, log *slog.Logger) error {
	pool, err := pg.Open(ctx, d.DSN, 0)
	if err != nil {
		return err
	}
	d.Pool = pool
	if migrate {
		n, err := pg.Migrate(ctx, pool, migs)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("migrations applied", slog.Int("count", n))
		}
		return nil
	}
	return pg.Check(ctx, pool, migs)
}

// Bus is a reachable Kafka and what must be stopped after it.
type Bus struct {
	Config   bus.Config
	Embedded *bus.Embedded // nil when brokers were configured
}

// Close stops the embedded broker, if any.
func (b *Bus) Close() {
	if b != nil && b.Embedded != nil {
		b.Embedded.Close()
	}
}

// BusConfig maps the node's Kafka settings to internal/bus.
func BusConfig(k config.Kafka, clientID string) bus.Config {
	return bus.Config{
		Brokers: k.Brokers, ClientID: clientID,
		SASLMechanism: k.SASLMechanism, SASLUser: k.SASLUser, SASLPassword: k.SASLPassword.Reveal(),
		TLS: k.TLS, TLSCAFile: k.TLSCAFile,
	}
}

// OpenBus checks the configured brokers answer, or starts an embedded broker.
func OpenBus(ctx context.Context, k config.Kafka, clientID string, log *slog.Logger) (*Bus, error) {
	b := &Bus{Config: BusConfig(k, clientID)}
	if len(b.Config.Brokers) == 0 {
		e, err := bus.StartEmbedded(ctx)
		if err != nil {
			return nil, err
		}
		b.Embedded = e
		b.Config.Brokers = e.Brokers()
		log.Info("embedded Kafka-protocol broker started", slog.Any("brokers", b.Config.Brokers))
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bus.Ping(pctx, b.Config); err != nil {
		b.Close()
		return nil, fmt.Errorf("%w at %v: %v", ErrKafkaUnreachable, b.Config.Brokers, err)
	}
	return b, nil
}

// TLSFiles name a certificate and key to serve HTTPS with; empty serves plain HTTP.
type TLSFiles struct{ Cert, Key string }

// Serve runs an HTTP server on addr until ctx ends, then shuts it down gracefully:
// it stops accepting and lets requests in flight finish within timeout.
func Serve(ctx context.Context, addr string, h http.Handler, tlsFiles TLSFiles, timeout time.Duration, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ServeListenerTLS(ctx, ln, h, tlsFiles, timeout, log)
}

// ServeListener is Serve on an open listener, plain HTTP.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration, log *slog.Logger) error {
	return ServeListenerTLS(ctx, ln, h, TLSFiles{}, timeout, log)
}

// ServeListenerTLS is Serve on an open listener, HTTPS when tlsFiles name a certificate.
func ServeListenerTLS(ctx context.Context, ln net.Listener, h http.Handler, tlsFiles TLSFiles, timeout time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 16,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	errc := make(chan error, 1)
	go func() {
		if tlsFiles.Cert != "" {
			errc <- srv.ServeTLS(ln, tlsFiles.Cert, tlsFiles.Key)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
