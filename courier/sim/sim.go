package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// parcel is one order the simulator holds.
type parcel struct {
	Carrier   string // "sf" or "ems"
	Account   string // SF partnerID or EMS app key
	OrderID   string
	Waybill   string
	Product   string
	Created   time.Time
	Cancelled bool
	From, To  place
	Weight    int64 // grams
	L, W, H   int64 // mm
	Declared  int64 // fen
	Insured   bool
	Receipt   bool
	Phones    []string // sender's and recipient's, for kuaidi100's phone check
	Scans     []scan
}

// visible returns the scans that have happened by now.
func (p *parcel) visible(now time.Time) []scan {
	if p.Cancelled {
		return nil
	}
	n := 0
	for n < len(p.Scans) && !p.Scans[n].At.After(now) {
		n++
	}
	return p.Scans[:n]
}

func (p *parcel) pickedUp(now time.Time) bool { return len(p.visible(now)) > 0 }

// Stats counts what the simulator saw and did.
type Stats struct {
	Calls          map[string]int `json:"calls"` // by "carrier op", e.g. "sf EXP_RECE_CREATE_ORDER"
	InjectedErrors int            `json:"injected_errors"`
	StalledCreates int            `json:"stalled_creates"`
	Orders         int            `json:"orders"`
	PushesSent     int            `json:"pushes_sent"`
	PushesAccepted int            `json:"pushes_accepted"`
	PushesRefused  int            `json:"pushes_refused"`
}

// Sim is the simulator. It is an http.Handler; create it with New.
type Sim struct {
	cfg  Config
	mux  *http.ServeMux
	push *http.Client

	advanceMu sync.Mutex // one Advance at a time, so pushes go out in clock order

	mu         sync.Mutex
	now        time.Time
	rng        *rand.Rand
	faults     Faults
	byOrder    map[string]*parcel // carrier + account + order id
	byWaybill  map[string]*parcel
	parcels    []*parcel // in creation order
	requestIDs map[string]bool
	subs       map[string]*subscription // kuaidi100, by number
	queue      []*pushJob               // pushes waiting for a retry
	pushLog    []PushRecord
	stats      Stats
	serial     uint64
}

// New builds a simulator.
func New(cfg Config) (*Sim, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		cfg: cfg, mux: http.NewServeMux(), push: &http.Client{Timeout: cfg.PushTimeout},
		now: cfg.Start, rng: rand.New(rand.NewPCG(cfg.Seed, 0x7b)), faults: cfg.Faults,
		byOrder: map[string]*parcel{}, byWaybill: map[string]*parcel{}, requestIDs: map[string]bool{},
		subs: map[string]*subscription{}, stats: Stats{Calls: map[string]int{}},
	}
	s.serial = 1e9 + s.rng.Uint64N(1e9)
	s.routes()
	return s, nil
}

func (s *Sim) routes() {
	s.mux.HandleFunc("POST /sf/std/service", s.api(s.handleSF))
	s.mux.HandleFunc("POST /ems/api/gateway", s.api(s.handleEMS))
	s.mux.HandleFunc("POST /kuaidi100/poll/query.do", s.api(s.handleK100Query))
	s.mux.HandleFunc("POST /kuaidi100/poll", s.api(s.handleK100Subscribe))
	s.mux.HandleFunc("GET /sim/faults", s.handleFaults)
	s.mux.HandleFunc("POST /sim/faults", s.handleFaults)
	s.mux.HandleFunc("POST /sim/advance", s.handleAdvance)
	s.mux.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Stats()) })
	s.mux.HandleFunc("GET /sim/pushes", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Pushes()) })
	s.mux.HandleFunc("GET /sim/bills", s.handleBill)
}

// ServeHTTP implements http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// api wraps a carrier endpoint with the faults every call shares: added latency and
// injected failures. The form is read first so that a held answer notices the caller
// hanging up.
func (s *Sim) api(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if d := s.latency(); d > 0 {
			if wait(r.Context(), d) != nil {
				return
			}
		}
		h(w, r, s.injected())
	}
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// hold keeps a committed create's answer back until the caller gives up.
func hold(r *http.Request, d time.Duration) { _ = wait(r.Context(), d) }

// Now is the virtual time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Stats returns a copy of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Calls = make(map[string]int, len(s.stats.Calls))
	for k, v := range s.stats.Calls {
		st.Calls[k] = v
	}
	return st
}

// Bounds on what a long-running simulator remembers.
const (
	maxRequestIDs = 100_000
	maxPushLog    = 10_000
)

func (s *Sim) count(carrier, op string) {
	s.mu.Lock()
	s.stats.Calls[carrier+" "+op]++
	s.mu.Unlock()
}

// nextWaybill allocates a waybill number in the carrier's format: SF is "SF" and 13
// digits, EMS 13 digits starting "11". Caller holds s.mu.
func (s *Sim) nextWaybill(carrier string) string {
	s.serial++
	if carrier == "sf" {
		return fmt.Sprintf("SF14%011d", s.serial)
	}
	return fmt.Sprintf("11%011d", s.serial)
}

// addParcel books a new order and plans its journey. Caller holds s.mu.
func (s *Sim) addParcel(p *parcel) {
	p.Created = s.now
	p.Waybill = s.nextWaybill(p.Carrier)
	p.Scans = plan(s.rng, p.Created, p.From, p.To, drawEnding(s.rng, s.faults))
	s.byOrder[orderKey(p.Carrier, p.Account, p.OrderID)] = p
	s.byWaybill[p.Waybill] = p
	s.parcels = append(s.parcels, p)
	s.stats.Orders++
}

func orderKey(carrier, account, orderID string) string {
	return carrier + "\x00" + account + "\x00" + orderID
}

// Parcel describes an order for tests and tools.
type Parcel struct {
	Carrier, Account, OrderID, Waybill string
	Created                            time.Time
	Cancelled                          bool
	// Final is how the journey ends: "signed", "proxy", "locker" or "lost".
	Final string
}

// Parcels lists the orders in creation order.
func (s *Sim) Parcels() []Parcel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Parcel, 0, len(s.parcels))
	for _, p := range s.parcels {
		final := "lost"
		if n := len(p.Scans); n > 0 {
			switch p.Scans[n-1].Step {
			case stepSigned:
				final = "signed"
			case stepSignedProxy:
				final = "proxy"
			case stepLocker:
				final = "locker"
			}
		}
		out = append(out, Parcel{Carrier: p.Carrier, Account: p.Account, OrderID: p.OrderID,
			Waybill: p.Waybill, Created: p.Created, Cancelled: p.Cancelled, Final: final})
	}
	return out
}
