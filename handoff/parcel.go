package handoff

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/kuaidi100"
)

// Parcels is a hall's side of the courier: the parcel made when a case is dispatched,
// the order placed with the carrier, the carriers' pushes and the polling backstop
// that move the case, the chain of custody, incidents for staff, and the waybill
// events settlement bills from. It plugs into the node through the extension points,
// so the case state machine knows nothing about couriers.
type Parcels struct {
	n      *Node
	log    *slog.Logger
	ingest *courier.Ingester
	// enabled is false when the hall database lacks the courier tables (a schema
	// from before courier.Migrations was added); the hall then works as before.
	enabled bool

	mu    sync.RWMutex
	setup *CourierSetup

	wakeOrders chan struct{}
	wakeMoves  chan struct{}
}

// Defaults of the workers.
const (
	orderLease     = 2 * time.Minute // a claimed order that was not finished is tried again after this
	orderBatch     = 16
	moveBatch      = 512
	moveChunk      = 64
	moveWorkers    = 4
	workerInterval = time.Second
)

// pollLockKey is the advisory lock that lets one replica poll at a time ("tongban.p").
const pollLockKey int64 = 0x746f6e6762616e70

var parcelsOf sync.Map // *Node -> *Parcels

func init() { extensions = append(extensions, setupParcels) }

// Parcels returns the hall's parcel part, so the command that builds the node can
// give it a carrier before Run.
func (n *Node) Parcels() *Parcels {
	p, _ := parcelsOf.Load(n)
	pp, _ := p.(*Parcels)
	return pp
}

// setupParcels serves the parcel API and the courier callbacks and, when the
// database holds the courier tables, hooks parcels into dispatch and sign-for and
// starts the ingester, the order worker, the case mover and the poller.
func setupParcels(n *Node) error {
	log := n.opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Parcels{n: n, log: log.With(slog.String("part", "parcels")), setup: &CourierSetup{Config: courier.DefaultConfig()},
		wakeOrders: make(chan struct{}, 1), wakeMoves: make(chan struct{}, 1)}
	p.setup.Config.Carrier = "none"
	parcelsOf.Store(n, p)
	p.routes()
	if n.opt.DB == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.opt.DB.QueryRow(ctx, `SELECT to_regclass('parcels') IS NOT NULL`).Scan(&p.enabled); err != nil {
		return err
	}
	if !p.enabled {
		p.log.Warn("courier tables missing: parcels, tracking and callbacks are off until courier.Migrations is applied")
		return nil
	}
	p.ingest = courier.NewIngester(n.opt.DB, courier.IngestOptions{Hall: n.opt.Code, Now: n.now,
		OnAdvance: p.onAdvance, Settle: p.settleOwed, Committed: p.wakeIfOwed})
	n.OnTransition(p.onTransition)
	n.AddWorker(p.ingest.Run)
	n.AddWorker(p.runOrders)
	n.AddWorker(p.runMoves)
	n.AddWorker(p.runPoller)
	return nil
}

// Use gives the hall its carrier. Call it before Run; a nil setup, or a config
// whose carrier is none, keeps dispatch with a typed waybill.
func (p *Parcels) Use(s *CourierSetup) {
	if s == nil {
		s = &CourierSetup{Config: courier.DefaultConfig()}
		s.Config.Carrier = "none"
	}
	p.mu.Lock()
	p.setup = s
	p.mu.Unlock()
}

func (p *Parcels) current() *CourierSetup {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.setup
}

// Enabled reports whether the courier tables are there and parcels are tracked.
func (p *Parcels) Enabled() bool { return p.enabled }

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// CourierSetup is a hall's carrier: the config, the adapter orders go through
// (nil: clerks type waybills), the push handlers by callback name, and kuaidi100
// when subscriptions are used.
type CourierSetup struct {
	Config  courier.Config
	Carrier courier.Carrier
	// Account is the carrier account billed (SF partner id, EMS app key), for
	// settlement's waybill events.
	Account   string
	Callbacks map[string]courier.CallbackHandler
	Trackers  map[string]courier.Tracker // by parcel carrier name
	Kuaidi100 *kuaidi100.Adapter
}
