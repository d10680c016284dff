package courier_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/kuaidi100"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/courier/sim"
)

// The contract suite's harness: every adapter, over real HTTP, against the
// simulator. Each case gets a fresh simulator, a receiver for pushes, and the adapter
// under test.

const (
	sfPartner, sfCheckWord, sfCard  = "TB_SF_TEST", "sf-check-word-test", "7551234567"
	emsKey, emsSecret, emsSender    = "TB_EMS_TEST", "ems-secret-test", "1100000001"
	k100Customer, k100Key, k100Salt = "TB_K100_TEST", "k100-key-test", "k100-salt-test"
	recipientPhone                  = "13912345678"
)

// receiver is the Tongban side of pushes: parse, fold into a current status per
// waybill (refusing backwards moves), answer.
type receiver struct {
	mu       sync.Mutex
	handlers map[string]courier.CallbackHandler
	events   map[string][]courier.Event
	status   map[string]courier.Status
	refused  int // backwards moves refused
	rejected int // pushes answered with a failure
	pushes   int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	h := rc.handlers[r.URL.Path]
	rc.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	evs, verified, err := h.ParseCallback(r)
	if err == nil && !verified {
		err = courier.ErrBadSignature
	}
	rc.mu.Lock()
	rc.pushes++
	if err != nil {
		rc.rejected++
	}
	for _, ev := range evs {
		if err != nil {
			break
		}
		rc.events[ev.Waybill] = append(rc.events[ev.Waybill], ev)
		cur := rc.status[ev.Waybill]
		if courier.Advances(cur, ev.Status) {
			rc.status[ev.Waybill] = ev.Status
		} else {
			rc.refused++
		}
	}
	rc.mu.Unlock()
	h.Ack(w, err)
}

func (rc *receiver) current(waybill string) courier.Status {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.status[waybill]
}

// env is one case's world.
type env struct {
	sim     *sim.Sim
	rcv     *receiver
	carrier courier.Carrier // nil for kuaidi100
	tracker courier.Tracker
	// ship books a parcel the tracker can see (for kuaidi100, through SF).
	ship func(ctx context.Context, s courier.Shipment) (courier.Order, error)
	// watch arranges pushes for a waybill; nil when the adapter has none.
	watch func(ctx context.Context, o courier.Order) error
	// createOp and trackOp name the simulator's call counters.
	createOp, trackOp string
	// pushCarrier names the pushes this adapter receives.
	pushCarrier string
}

// pushes are the simulator's pushes to this adapter.
func (e *env) pushes() []sim.PushRecord {
	var out []sim.PushRecord
	for _, p := range e.sim.Pushes() {
		if p.Carrier == e.pushCarrier {
			out = append(out, p)
		}
	}
	return out
}

type adapterCase struct {
	name  string
	build func(t *testing.T, e *env, simURL, rcvURL string)
}

func clientCfg(base string) courier.ClientConfig {
	return courier.ClientConfig{BaseURL: base, Timeout: 400 * time.Millisecond, RatePerSecond: -1, ReadAttempts: 8,
		BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func newSF(t *testing.T, simURL string) *sf.Adapter {
	a, err := sf.New(sf.Config{PartnerID: sfPartner, CheckWord: sfCheckWord, MonthlyCard: sfCard, Client: clientCfg(simURL + "/sf")})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var adapters = []adapterCase{
	{"sf", func(t *testing.T, e *env, simURL, rcvURL string) {
		a := newSF(t, simURL)
		e.carrier, e.tracker, e.ship = a, a, a.Create
		e.rcv.handlers["/sf"] = a
		e.createOp, e.trackOp, e.pushCarrier = "sf EXP_RECE_CREATE_ORDER", "sf EXP_RECE_SEARCH_ROUTES", "sf"
		e.watch = func(context.Context, courier.Order) error { return nil } // the account's push URL
	}},
	{"ems", func(t *testing.T, e *env, simURL, rcvURL string) {
		a, err := ems.New(ems.Config{AppKey: emsKey, Secret: emsSecret, SenderNo: emsSender, Client: clientCfg(simURL + "/ems")})
		if err != nil {
			t.Fatal(err)
		}
		e.carrier, e.tracker, e.ship = a, a, a.Create
		e.createOp, e.trackOp = "ems "+ems.MethodCreate, "ems "+ems.MethodTrace
	}},
	{"kuaidi100", func(t *testing.T, e *env, simURL, rcvURL string) {
		a, err := kuaidi100.New(kuaidi100.Config{Customer: k100Customer, Key: k100Key, Salt: k100Salt,
			CallbackURL: rcvURL + "/k100", PhoneFor: func(string) string { return recipientPhone[7:] },
			Client: clientCfg(simURL + "/kuaidi100")})
		if err != nil {
			t.Fatal(err)
		}
		e.tracker, e.ship = a, newSF(t, simURL).Create
		e.rcv.handlers["/k100"] = a
		e.trackOp, e.pushCarrier = "kuaidi100 query", "kuaidi100"
		e.watch = func(ctx context.Context, o courier.Order) error {
			return a.Subscribe(ctx, kuaidi100.Parcel{Company: "shunfeng", Number: o.Waybill, Phone: recipientPhone})
		}
	}},
}

func setup(t *testing.T, ac adapterCase, faults sim.Faults, sfPushMode string) *env {
	t.Helper()
	rcv := &receiver{handlers: map[string]courier.CallbackHandler{}, events: map[string][]courier.Event{}, status: map[string]courier.Status{}}
	rsrv := httptest.NewServer(rcv)
	t.Cleanup(rsrv.Close)
	s, err := sim.New(sim.Config{
		SF: []sim.SFAccount{{PartnerID: sfPartner, CheckWord: sfCheckWord, MonthlyCard: sfCard,
			PushURL: rsrv.URL + "/sf", PushMode: sfPushMode, PushToken: "push-token"}},
		EMS:       []sim.EMSAccount{{AppKey: emsKey, Secret: emsSecret, SenderNo: emsSender}},
		Kuaidi100: []sim.Kuaidi100Account{{Customer: k100Customer, Key: k100Key}},
		Seed:      42, Faults: faults, PushTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ssrv := httptest.NewServer(s)
	t.Cleanup(ssrv.Close)
	e := &env{sim: s, rcv: rcv}
	ac.build(t, e, ssrv.URL, rsrv.URL)
	return e
}

var parcelNo atomic.Int64

func shipment(caseID string) courier.Shipment {
	return courier.Shipment{
		OrderID: courier.OrderID(caseID, fmt.Sprint(parcelNo.Add(1))), Contents: "政务文书",
		Sender: courier.Party{Name: "天河区政务服务中心", Phone: "02087654321", Province: "广东省", City: "广州市",
			Address: "广东省广州市天河区天府路1号", DivisionCode: "440106"},
		Recipient: courier.Party{Name: "朝阳区政务服务中心", Phone: recipientPhone, Province: "北京市", City: "北京市",
			Address: "北京市朝阳区工体东路1号", DivisionCode: "110105"},
		WeightGrams: 1234, LengthMM: 320, WidthMM: 230, HeightMM: 40,
		DeclaredValueFen: 50000, Insured: true, ReturnReceipt: true,
	}
}

var waybillForm = map[string]*regexp.Regexp{
	"sf": regexp.MustCompile(`^SF\d{13}$`), "ems": regexp.MustCompile(`^\d{13}$`), "kuaidi100": regexp.MustCompile(`^SF\d{13}$`),
}

// journey is what a parcel signed by its addressee looks like in every adapter.
var journey = []courier.Status{courier.StatusPickedUp, courier.StatusInTransit, courier.StatusInTransit,
	courier.StatusArrivedCity, courier.StatusOutForDelivery, courier.StatusDelivered}

func statuses(evs []courier.Event, waybill string) []courier.Status {
	var out []courier.Status
	for _, e := range evs {
		if e.Waybill == waybill {
			out = append(out, e.Status)
		}
	}
	return out
}

func equalStatuses(a, b []courier.Status) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
