package courier_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/kuaidi100"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/courier/sim"
)

// TestContract runs every contract case against every adapter (harness in harness_test.go).
func TestContract(t *testing.T) {
	for _, ac := range adapters {
		t.Run(ac.name, func(t *testing.T) {
			for _, tc := range contractCases {
				t.Run(tc.name, func(t *testing.T) {
					if tc.carrierOnly && ac.name == "kuaidi100" {
						t.Skip("kuaidi100 books nothing")
					}
					if tc.pushOnly && ac.name == "ems" {
						t.Skip("EMS pushes nothing here")
					}
					tc.run(t, ac)
				})
			}
		})
	}
}

type contractCase struct {
	name        string
	carrierOnly bool // needs Create and Cancel
	pushOnly    bool // needs pushes
	run         func(t *testing.T, ac adapterCase)
}

var contractCases = []contractCase{
	{name: "create is idempotent on the order id", carrierOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{}, "")
		ctx := context.Background()
		s := shipment("440106-2025-000001")
		o1, err := e.carrier.Create(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if o1.OrderID != s.OrderID || !waybillForm[ac.name].MatchString(o1.Waybill) {
			t.Fatalf("order %+v", o1)
		}
		o2, err := e.carrier.Create(ctx, s)
		if err != nil || o2.Waybill != o1.Waybill {
			t.Fatalf("second create: %+v %v, want waybill %s", o2, err, o1.Waybill)
		}
		if n := e.sim.Stats().Orders; n != 1 {
			t.Fatalf("simulator holds %d orders, want 1", n)
		}
	}},
	{name: "create after a timeout is looked up, not duplicated", carrierOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{CreateTimeouts: 1, StallMS: 3000}, "")
		o, err := e.carrier.Create(context.Background(), shipment("440106-2025-000002"))
		if err != nil {
			t.Fatal(err)
		}
		st := e.sim.Stats()
		ps := e.sim.Parcels()
		if st.StalledCreates != 1 || st.Orders != 1 || len(ps) != 1 || ps[0].Waybill != o.Waybill {
			t.Fatalf("stats %+v parcels %+v order %+v", st, ps, o)
		}
	}},
	{name: "creates are not retried blindly", carrierOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{ErrorRate: 1}, "")
		_, err := e.carrier.Create(context.Background(), shipment("440106-2025-000003"))
		if !errors.Is(err, courier.ErrTemporary) {
			t.Fatalf("err = %v, want ErrTemporary", err)
		}
		// SF sends the create once, then looks it up; EMS's look-up is the same
		// create sent once more, which the gateway de-duplicates.
		want := map[string]int{"sf": 1, "ems": 2}[ac.name]
		if n := e.sim.Stats().Calls[e.createOp]; n != want {
			t.Fatalf("%d create calls, want %d", n, want)
		}
	}},
	{name: "rate-limited create is not retried", carrierOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{ErrorRate: 1, ErrorKind: "rate_limit"}, "")
		_, err := e.carrier.Create(context.Background(), shipment("440106-2025-000004"))
		if !errors.Is(err, courier.ErrRateLimited) || e.sim.Stats().Calls[e.createOp] != 1 {
			t.Fatalf("err = %v, calls %v", err, e.sim.Stats().Calls)
		}
	}},
	{name: "cancel, twice, then nothing moves", carrierOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{}, "")
		ctx := context.Background()
		o, err := e.carrier.Create(ctx, shipment("440106-2025-000005"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.carrier.Cancel(ctx, o.OrderID, o.Waybill); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		if err := e.carrier.Cancel(ctx, o.OrderID, o.Waybill); err != nil {
			t.Fatalf("cancel again: %v", err)
		}
		e.sim.Advance(ctx, 48*time.Hour)
		evs, err := e.tracker.Track(ctx, []string{o.Waybill})
		if err != nil || len(evs) != 0 {
			t.Fatalf("cancelled parcel moved: %v %v", evs, err)
		}
		late, err := e.carrier.Create(ctx, shipment("440106-2025-000006"))
		if err != nil {
			t.Fatal(err)
		}
		e.sim.Advance(ctx, 6*time.Hour)
		if err := e.carrier.Cancel(ctx, late.OrderID, late.Waybill); err == nil {
			t.Fatal("cancel after pickup succeeded")
		}
	}},
	{name: "track a batch", run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{}, "")
		ctx := context.Background()
		var waybills []string
		for i := range 23 {
			o, err := e.ship(ctx, shipment(fmt.Sprintf("440106-2025-1%05d", i)))
			if err != nil {
				t.Fatal(err)
			}
			waybills = append(waybills, o.Waybill)
		}
		e.sim.Advance(ctx, 48*time.Hour)
		evs, err := e.tracker.Track(ctx, append(waybills, "SF1599999999999"))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range waybills {
			if got := statuses(evs, w); !equalStatuses(got, journey) {
				t.Fatalf("%s: %v, want %v", w, got, journey)
			}
		}
		want := map[string]int{"sf": 3, "ems": 24, "kuaidi100": 24}[ac.name]
		if n := e.sim.Stats().Calls[e.trackOp]; n != want {
			t.Fatalf("%d track calls, want %d", n, want)
		}
	}},
	{name: "reads retry through injected errors", run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{}, "")
		ctx := context.Background()
		var waybills []string
		for i := range 12 {
			o, err := e.ship(ctx, shipment(fmt.Sprintf("440106-2025-2%05d", i)))
			if err != nil {
				t.Fatal(err)
			}
			waybills = append(waybills, o.Waybill)
		}
		e.sim.Advance(ctx, 48*time.Hour)
		if err := e.sim.SetFaults(sim.Faults{ErrorRate: 0.4}); err != nil {
			t.Fatal(err)
		}
		evs, err := e.tracker.Track(ctx, waybills)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range waybills {
			if got := statuses(evs, w); !equalStatuses(got, journey) {
				t.Fatalf("%s: %v", w, got)
			}
		}
		if e.sim.Stats().InjectedErrors == 0 {
			t.Fatal("no errors were injected; the test proves nothing")
		}
	}},
	{name: "proxy and locker signing are not received", run: func(t *testing.T, ac adapterCase) {
		for _, tt := range []struct {
			f    sim.Faults
			want courier.Status
		}{
			{sim.Faults{ProxySignRate: 1}, courier.StatusDeliveredProxy},
			{sim.Faults{LockerRate: 1}, courier.StatusDeliveredLocker},
			{sim.Faults{LostRate: 1}, courier.StatusInTransit},
		} {
			e := setup(t, ac, tt.f, "")
			ctx := context.Background()
			o, err := e.ship(ctx, shipment("440106-2025-000007"))
			if err != nil {
				t.Fatal(err)
			}
			e.sim.Advance(ctx, 72*time.Hour)
			evs, err := e.tracker.Track(ctx, []string{o.Waybill})
			if err != nil || len(evs) == 0 {
				t.Fatalf("%v %v", evs, err)
			}
			last := evs[len(evs)-1].Status
			if last != tt.want || last.CountsAsReceived() {
				t.Fatalf("last status %s, want %s and not received", last, tt.want)
			}
		}
	}},
	{name: "pushes verify and fold", pushOnly: true, run: func(t *testing.T, ac adapterCase) {
		for _, mode := range []string{"form", "json"} {
			if mode == "json" && ac.name != "sf" {
				continue
			}
			e := setup(t, ac, sim.Faults{}, mode)
			if mode == "json" {
				a, _ := sf.New(sf.Config{PartnerID: sfPartner, CheckWord: sfCheckWord, MonthlyCard: sfCard,
					PushToken: "push-token", Client: clientCfg("http://127.0.0.1:1")})
				e.rcv.handlers["/sf"] = a
			}
			ctx := context.Background()
			var orders []courier.Order
			for i := range 3 {
				o, err := e.ship(ctx, shipment(fmt.Sprintf("440106-2025-3%05d", i)))
				if err != nil {
					t.Fatal(err)
				}
				if err := e.watch(ctx, o); err != nil {
					t.Fatalf("watch: %v", err)
				}
				orders = append(orders, o)
			}
			for range 10 {
				e.sim.Advance(ctx, 4*time.Hour) // the journey takes at most 29h+15%
			}
			for _, o := range orders {
				if st := e.rcv.current(o.Waybill); st != courier.StatusDelivered {
					t.Errorf("%s (%s): status %s, want delivered", o.Waybill, mode, st)
				}
			}
			pushes := e.pushes()
			for _, p := range pushes {
				if !p.Accepted {
					t.Fatalf("%s: push refused: %+v", mode, p)
				}
			}
			if len(pushes) != 3*len(journey) || e.rcv.rejected != 0 {
				t.Fatalf("%s: %d pushes, %d rejected; want %d taken", mode, len(pushes), e.rcv.rejected, 3*len(journey))
			}
		}
	}},
	{name: "a bad signature is refused with the carrier's answer", pushOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{BadSignatureRate: 1}, "")
		ctx := context.Background()
		o, err := e.ship(ctx, shipment("440106-2025-000008"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.watch(ctx, o); err != nil {
			t.Fatal(err)
		}
		e.sim.Advance(ctx, 3*time.Hour) // the pickup scan
		for range 4 {
			e.sim.Advance(ctx, 40*time.Minute) // the retries
		}
		want := map[string]string{"sf": sf.PushBadSignature, "kuaidi100": kuaidi100.PushBadSignature}[ac.name]
		pushes := e.pushes()
		if len(pushes) < 4 {
			t.Fatalf("%d pushes, want the first try and three retries", len(pushes))
		}
		for _, p := range pushes {
			if !p.BadSign || p.Accepted || p.Answer != want {
				t.Fatalf("push %+v, want refused with %s", p, want)
			}
		}
		if len(e.rcv.events[o.Waybill]) != 0 {
			t.Fatal("events from a badly signed push were stored")
		}
	}},
	{name: "duplicate and out-of-order pushes fold to the true status", pushOnly: true, run: func(t *testing.T, ac adapterCase) {
		e := setup(t, ac, sim.Faults{DuplicatePushes: true, OutOfOrderPushes: true}, "")
		ctx := context.Background()
		o, err := e.ship(ctx, shipment("440106-2025-000009"))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.watch(ctx, o); err != nil {
			t.Fatal(err)
		}
		e.sim.Advance(ctx, 48*time.Hour) // every scan in one step: sent newest first, twice
		if st := e.rcv.current(o.Waybill); st != courier.StatusDelivered {
			t.Fatalf("status %s, want delivered", st)
		}
		if e.rcv.refused == 0 {
			t.Fatal("no backwards move was refused; pushes were not out of order")
		}
		dups := 0
		pushes := e.pushes()
		for _, p := range pushes {
			if p.Duplicate {
				dups++
			}
		}
		if dups == 0 || dups*2 != len(pushes) {
			t.Fatalf("%d duplicates of %d pushes", dups, len(pushes))
		}
	}},
}

// TestKuaidi100SubscriptionLifecycle covers what only kuaidi100 pushes: abort (subscribe
// again), carrier corrections, shutdown, and duplicate subscriptions.
func TestKuaidi100SubscriptionLifecycle(t *testing.T) {
	var notes []kuaidi100.Notification
	var mu sync.Mutex
	var a *kuaidi100.Adapter
	rsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := courier.ReadBody(r)
		var n kuaidi100.Notification
		if err == nil {
			n, err = a.ParseNotification(body)
		}
		if err == nil {
			mu.Lock()
			notes = append(notes, n)
			mu.Unlock()
		}
		a.Ack(w, err)
	}))
	defer rsrv.Close()
	s, err := sim.New(sim.Config{
		EMS:       []sim.EMSAccount{{AppKey: emsKey, Secret: emsSecret, SenderNo: emsSender}},
		Kuaidi100: []sim.Kuaidi100Account{{Customer: k100Customer, Key: k100Key}}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	ssrv := httptest.NewServer(s)
	defer ssrv.Close()
	a, err = kuaidi100.New(kuaidi100.Config{Customer: k100Customer, Key: k100Key, Salt: k100Salt,
		CallbackURL: rsrv.URL, Client: clientCfg(ssrv.URL + "/kuaidi100")})
	if err != nil {
		t.Fatal(err)
	}
	e, err := ems.New(ems.Config{AppKey: emsKey, Secret: emsSecret, SenderNo: emsSender, Client: clientCfg(ssrv.URL + "/ems")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o, err := e.Create(ctx, shipment("440106-2025-000010"))
	if err != nil {
		t.Fatal(err)
	}
	// Subscribed under the wrong company: kuaidi100 corrects it.
	if err := a.Subscribe(ctx, kuaidi100.Parcel{Company: "yuantong", Number: o.Waybill}); err != nil {
		t.Fatal(err)
	}
	if err := a.Subscribe(ctx, kuaidi100.Parcel{Company: "yuantong", Number: o.Waybill}); err != nil {
		t.Fatalf("a duplicate subscription is not an error: %v", err)
	}
	if err := a.Subscribe(ctx, kuaidi100.Parcel{Company: "ems", Number: "1199999999999"}); err != nil {
		t.Fatal(err)
	}
	s.Advance(ctx, 73*time.Hour)
	mu.Lock()
	defer mu.Unlock()
	var aborted, finished bool
	for _, n := range notes {
		switch n.Number {
		case "1199999999999":
			aborted = aborted || n.Resubscribe
		case o.Waybill:
			if !n.Corrected || n.ComOld != "yuantong" || n.ComNew != "ems" {
				t.Errorf("no correction: %+v", n)
			}
			for _, ev := range n.Events {
				if ev.Carrier != "ems" {
					t.Errorf("event carrier %q, want ems", ev.Carrier)
				}
			}
			if n.Finished {
				finished = true
				if last := n.Events[len(n.Events)-1]; last.Status != courier.StatusDelivered || !n.Signed {
					t.Errorf("shutdown without the signature: %+v", n)
				}
			}
		}
	}
	if !aborted || !finished {
		t.Fatalf("aborted=%v finished=%v in %d notifications", aborted, finished, len(notes))
	}
}
