package settlement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/envelope"
	"github.com/tongban/tongban/internal/obs"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pii"
)

// Self is settlement's name on the bus: the "to" of every waybill envelope.
const Self = "settlement"

// Options wire a settlement node. DB, Keys, Log and Data are required.
type Options struct {
	DB *pgxpool.Pool
	// Bus is where waybill events come from; Run consumes them when Brokers is set.
	Bus bus.Config
	// Keys trusts every hall's public key; settlement signs nothing (nil private key).
	Keys   *envelope.Keyring
	Log    *slog.Logger
	Health *obs.Health // optional: /healthz, /readyz, /metrics and the metrics
	// Clock is the time source; tests inject one. Defaults to time.Now.
	Clock func() time.Time
	// Layouts are the bill layouts by carrier; nil loads the built-in ones.
	Layouts Layouts
	// Tolerance decides when a billed amount differs from the expected one.
	Tolerance Tolerance
	// CloseSchedule is the cron spec (Asia/Shanghai) of the job that prepares the
	// previous month's close; "" means "0 2 1 * *", "-" turns the job off.
	CloseSchedule string
	// ConsumerGroup defaults to "tongban-settlement".
	ConsumerGroup string
	// Data seals finance and admin staff's TOTP secrets at rest; the ledger holds no
	// personal data to seal.
	Data pii.Cipher
	// SecureCookies marks session cookies Secure (TLS here or at a proxy in front).
	SecureCookies bool
}

// Tolerance is how far a billed amount may stray from the expected one and still
// count as matched: within AbsFen fen or within BP basis points of the expected fee,
// whichever is larger.
type Tolerance struct {
	AbsFen int64
	BP     int64
}

func (t Tolerance) within(diff, expected int64) bool {
	if diff < 0 {
		diff = -diff
	}
	return diff <= t.AbsFen || diff*10000 <= t.BP*max(expected, 0)
}

// Node is the settlement node.
type Node struct {
	opt     Options
	db      *pgxpool.Pool
	log     *slog.Logger
	clock   func() time.Time
	mux     *http.ServeMux
	routes  []string
	access  map[string]routeAccess
	auth    *auth.Service
	metrics *metrics
	layouts Layouts
}

type metrics struct {
	consumed    *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	imported    prometheus.Counter
}

// NewNode builds a node. It does not start anything; Run does.
func NewNode(opt Options) (*Node, error) {
	if opt.DB == nil || opt.Keys == nil || opt.Log == nil {
		return nil, errors.New("settlement: new node: DB, Keys and Log are required")
	}
	if opt.Data == nil {
		return nil, errors.New("settlement: new node: a data key is required to seal TOTP secrets")
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.ConsumerGroup == "" {
		opt.ConsumerGroup = "tongban-settlement"
	}
	if opt.CloseSchedule == "" {
		opt.CloseSchedule = DefaultCloseSchedule
	}
	if opt.Layouts == nil {
		ls, err := LoadLayouts("")
		if err != nil {
			return nil, err
		}
		opt.Layouts = ls
	}
	n := &Node{opt: opt, db: opt.DB, log: opt.Log, clock: opt.Clock, mux: http.NewServeMux(), layouts: opt.Layouts,
		access: map[string]routeAccess{}}
	// Staff log in as at a hall; the scope is the centre, where finance roles belong.
	n.auth = auth.New(auth.Options{DB: opt.DB, Scope: auth.Centre, Cipher: opt.Data, Audit: n.auditAuth, Clock: opt.Clock,
		SecureCookies: opt.SecureCookies})
	n.metrics = &metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongban_settlement_waybill_events_total",
			Help: "Waybill events applied, by type."}, []string{"type"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongban_settlement_quarantined_total",
			Help: "Waybill messages quarantined, by reason."}, []string{"reason"}),
		imported: prometheus.NewCounter(prometheus.CounterOpts{Name: "tongban_settlement_bill_rows_imported_total",
			Help: "Bill rows read from imported files."}),
	}
	if opt.Health != nil {
		for _, c := range []prometheus.Collector{n.metrics.consumed, n.metrics.quarantined, n.metrics.imported} {
			if err := opt.Health.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("settlement: metrics: %w", err)
			}
		}
		opt.Health.Register(n.mux)
	}
	n.routesAPI()
	if err := n.MountConsole(); err != nil {
		return nil, err
	}
	return n, nil
}

// Auth is settlement's staff login service (accounts, tokens).
func (n *Node) Auth() *auth.Service { return n.auth }

// Sources are every schema settlement's database holds: its own (with its own
// hash-chained audit log) and the staff accounts.
func Sources() []pg.Source { return []pg.Source{Migrations(), auth.Migrations()} }

// Handler serves the settlement API (and health endpoints when Options.Health is set).
func (n *Node) Handler() http.Handler { return n.mux }

// Run consumes waybill events (when brokers are configured) and runs the close job
// until ctx ends. It returns the first worker error, or nil on a clean stop.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	if len(n.opt.Bus.Brokers) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.Consume(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errs <- err
				cancel()
			}
		}()
	}
	if n.opt.CloseSchedule != "-" {
		stop, err := n.StartCloseJob(ctx)
		if err != nil {
			return err
		}
		defer stop()
	}
	<-ctx.Done()
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func (n *Node) now() time.Time { return n.clock().UTC().Truncate(time.Microsecond) }
