// Package handoff runs a city hall's side of cross-city handoffs: the matter
// catalogue, intake at the window, packaging, the case state machine, the signed
// envelopes that carry each step to the partner hall over Kafka (outbox, relay, inbox,
// quarantine), and the hall's HTTP API.
package handoff

import (
	"context"
	"crypto/ecdh"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/internal/audit"
	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/obs"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pii"
)

// Options wire a hall node.
type Options struct {
	Code   string // division code of this hall
	Name   string
	DB     *pgxpool.Pool
	Bus    bus.Config
	Keys   *Keyring
	Log    *slog.Logger
	Health *obs.Health
	// Clock is the time source; tests inject one. Defaults to time.Now.
	Clock func() time.Time
	// MaxAttachment bounds one uploaded file; defaults to 2 MiB.
	MaxAttachment int64
	// Applied, when set, is called after a partner's message has been applied and
	// committed; the benchmark measures hand-off latency with it.
	Applied func(env Envelope)

	// Data seals personal data at rest; Search hashes ID numbers for exact search.
	Data   pii.Cipher
	Search *pii.Searcher
	// Sealer opens what partners sealed for this hall; SealKeys are the partners'
	// public sealing keys.
	Sealer   *pii.Sealer
	SealKeys map[string]*ecdh.PublicKey
	// SecureCookies marks session cookies Secure (TLS here or at a proxy in front).
	SecureCookies bool
	// AuditRetention is how long audit records are kept (at least six months).
	AuditRetention time.Duration
}

// Node is one city's hall.
type Node struct {
	opt     Options
	keys    *Keyring
	clock   func() time.Time
	mux     *http.ServeMux
	routes  []string
	access  map[string]routeAccess
	auth    *auth.Service
	metrics *metrics
	hooks   []transitionHook
	workers []func(context.Context) error
}

type metrics struct {
	moves       *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	relayed     prometheus.Counter
	duplicates  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		moves: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongban_case_moves_total",
			Help: "Case state moves applied, by move and by where it was made (local or remote)."}, []string{"move", "origin"}),
		quarantined: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tongban_quarantined_total",
			Help: "Messages quarantined, by reason."}, []string{"reason"}),
		relayed: prometheus.NewCounter(prometheus.CounterOpts{Name: "tongban_outbox_published_total",
			Help: "Outbox messages published to Kafka."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "tongban_inbox_duplicates_total",
			Help: "Redelivered messages the inbox recognised and skipped."}),
	}
	reg.MustRegister(m.moves, m.quarantined, m.relayed, m.duplicates)
	return m
}

// extensions are the parts of the hall that plug in through hooks, workers and
// routes (deadlines, parcels); each file that provides one adds it in an init func.
var extensions []func(n *Node) error

// NewNode builds a hall node; Run starts its background work.
func NewNode(opt Options) (*Node, error) {
	if opt.Keys == nil {
		return nil, errors.New("handoff: a hall needs a signing key")
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.MaxAttachment == 0 {
		opt.MaxAttachment = 2 << 20
	}
	if opt.Health == nil {
		opt.Health = obs.NewHealth()
	}
	if opt.Data == nil || opt.Search == nil {
		return nil, errors.New("handoff: a hall needs a data key and a search key for personal data")
	}
	n := &Node{opt: opt, keys: opt.Keys, clock: opt.Clock, mux: http.NewServeMux(), metrics: newMetrics(opt.Health.Registry),
		access: map[string]routeAccess{}}
	n.auth = auth.New(auth.Options{DB: opt.DB, Scope: opt.Code, Cipher: opt.Data, Audit: n.auditAuth, Clock: opt.Clock,
		SecureCookies: opt.SecureCookies})
	opt.Health.Register(n.mux)
	n.routesAPI()
	n.OnTransitions(n.auditTransition, n.auditTransitions)
	chainer := audit.NewChainer(opt.DB, opt.Log)
	n.AddWorker(chainer.Run)
	n.AddWorker(n.runAuditRetention)
	for _, ext := range extensions {
		if err := ext(n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Auth is the hall's staff login service (accounts, tokens).
func (n *Node) Auth() *auth.Service { return n.auth }

// Sources are every schema a hall's database holds.
func Sources() []pg.Source {
	return []pg.Source{Migrations(), auth.Migrations(), audit.Migrations(), courier.Migrations()}
}

// Handler serves the hall's HTTP API.
func (n *Node) Handler() http.Handler { return n.mux }

// Run runs the relay and the inbox consumer until ctx ends; each finishes the batch
// in hand and commits before Run returns.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	all := append([]func(context.Context) error{n.runRelay, n.runInbox}, n.workers...)
	errs := make([]error, len(all))
	for i, f := range all {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(ctx) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}
