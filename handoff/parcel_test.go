package handoff

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/courier/sim"
	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/envelope"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/settlement"
)

// parcelWorld is two halls whose databases hold the courier tables, a courier
// simulator over real HTTP pushing to the origin hall's callback route, and a hall
// clock the test can move forward.
type parcelWorld struct {
	a, b   *testHall
	sim    *sim.Sim
	simURL string
	bus    bus.Config
	offset atomic.Int64 // added to the halls' clocks
}

const simPartner, simCheckWord = "TB_SF_440100", "sf-check-word-440100"

func (w *parcelWorld) clock() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) }

func newParcelWorld(t testing.TB, faults sim.Faults) *parcelWorld {
	t.Helper()
	w, start := newParcelHalls(t)
	cfg, client := w.serveSim(t, sim.Config{SF: []sim.SFAccount{{PartnerID: simPartner, CheckWord: simCheckWord, MonthlyCard: "7551234567",
		PushURL: w.a.base + "/api/v1/courier/callbacks/sf"}}, Seed: 7, Faults: faults, PushTimeout: 5 * time.Second})
	setup, err := NewCourierSetup(cfg, CourierAccounts{SF: &sf.Config{PartnerID: simPartner, CheckWord: simCheckWord,
		MonthlyCard: "7551234567", Client: client("/sf")}})
	if err != nil {
		t.Fatal(err)
	}
	start(setup)
	return w
}

// serveSim serves a courier simulator over HTTP for the world; it returns the hall's
// courier config for tests (polling and loss far off) and the client settings for a
// carrier's path on the simulator.
func (w *parcelWorld) serveSim(t testing.TB, c sim.Config) (courier.Config, func(path string) courier.ClientConfig) {
	t.Helper()
	s, err := sim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	w.sim, w.simURL = s, srv.URL
	cfg := courier.DefaultConfig()
	cfg.StaleAfter, cfg.LostAfter, cfg.PollInterval = time.Hour, 24*time.Hour, time.Hour
	return cfg, func(path string) courier.ClientConfig {
		return courier.ClientConfig{BaseURL: srv.URL + path, RatePerSecond: -1, BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond}
	}
}

// newParcelHalls is the bus and both halls of a parcel world, trusting each other,
// not yet running: start gives the origin its courier and runs both.
func newParcelHalls(t testing.TB) (w *parcelWorld, start func(*CourierSetup)) {
	t.Helper()
	ctx := context.Background()
	e, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	w = &parcelWorld{bus: e.Config()}
	if _, err := bus.EnsureTopics(ctx, w.bus, bus.DefaultTopics([]string{gz, fs}, 4, 1)); err != nil {
		t.Fatal(err)
	}
	a, runA := w.hall(t, gz)
	b, runB := w.hall(t, fs)
	trust(a, b)
	trust(b, a)
	w.a, w.b = a, b
	return w, func(setup *CourierSetup) {
		a.Parcels().Use(setup)
		runA()
		runB()
	}
}

// parcelSources are the hall's schemas with the courier tables, whether or not
// Sources lists them yet.
func parcelSources() []pg.Source {
	srcs := Sources()
	for _, s := range srcs {
		if s.Domain == "courier" {
			return srcs
		}
	}
	return append(srcs, courier.Migrations())
}

// hall builds a hall on a database with the courier tables; run starts it.
func (w *parcelWorld) hall(t testing.TB, code string) (*testHall, func()) {
	t.Helper()
	return w.hallOn(t, code, pgtest.New(t, parcelSources()...))
}

func (w *parcelWorld) hallOn(t testing.TB, code string, pool *pgxpool.Pool) (*testHall, func()) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	data, search, sealer := hallKeys(t)
	sealKeys := map[string]*ecdh.PublicKey{}
	n, err := NewNode(Options{Code: code, DB: pool, Bus: w.bus, Keys: NewKeyring(code, priv), Log: log, Clock: w.clock,
		Data: data, Search: search, Sealer: sealer, SealKeys: sealKeys})
	if err != nil {
		t.Fatal(err)
	}
	if !n.Parcels().Enabled() {
		t.Fatal("parcels not enabled on a database with the courier tables")
	}
	if cat, err := catalog.Load(code); err == nil {
		if _, err := n.LoadCatalogue(context.Background(), cat); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(n.Handler())
	h := &testHall{Node: n, code: code, srv: srv, base: srv.URL, priv: priv, sealer: sealer, sealKeys: sealKeys,
		tokens: staffTokens(t, n.Auth(), code)}
	run := func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = n.Run(ctx) }()
		var once sync.Once
		h.halt = func() { cancel(); <-done }
		h.stop = func() { once.Do(func() { srv.Close(); h.halt() }) }
		t.Cleanup(h.stop)
	}
	return h, run
}

// dispatchByCourier packages a case at the origin and dispatches it without a
// waybill, then waits for the order worker to get one from the simulator.
func (w *parcelWorld) dispatchByCourier(t *testing.T) (id, caseNo string, parcel courier.Parcel) {
	t.Helper()
	id, caseNo = acceptCase(t, w.a)
	w.a.must(t, 200, "POST", "/api/v1/cases/"+id+"/package", PackageRequest{SealNo: "FZ" + id[len(id)-8:]})
	w.a.must(t, 200, "POST", "/api/v1/cases/"+id+"/dispatch", DispatchRequest{})
	eventually(t, "the courier order of "+caseNo, func() bool {
		parcel = w.parcel(t, w.a, id)
		return parcel.OrderState == courier.OrderPlaced
	})
	return id, caseNo, parcel
}

func (w *parcelWorld) parcel(t *testing.T, h *testHall, caseID string) courier.Parcel {
	t.Helper()
	var p courier.Parcel
	var err error
	if c, lerr := h.loadCase(context.Background(), caseID); lerr == nil {
		p, err = courier.LatestParcel(context.Background(), h.opt.DB, c.ID)
	}
	if err != nil {
		return courier.Parcel{}
	}
	return p
}

// advance moves the simulator's clock; its pushes are answered before it returns.
func (w *parcelWorld) advance(d time.Duration) { w.sim.Advance(context.Background(), d) }

func TestParcelJourneyMovesCaseAtBothHalls(t *testing.T) {
	t.Parallel()
	w := newParcelWorld(t, sim.Faults{DuplicatePushes: true, OutOfOrderPushes: true})
	id, caseNo, parcel := w.dispatchByCourier(t)
	if !strings.HasPrefix(parcel.Waybill, "SF") || parcel.OrderID != courier.OrderID(id, "1") {
		t.Fatalf("parcel %+v", parcel)
	}
	var caseWaybill string
	_ = w.a.opt.DB.QueryRow(context.Background(), `SELECT waybill FROM cases WHERE id = $1`, id).Scan(&caseWaybill)
	if caseWaybill != parcel.Waybill {
		t.Fatalf("case waybill %q, parcel %q", caseWaybill, parcel.Waybill)
	}
	checkWaybillCreated(t, w, id, parcel.Waybill, "sf", simPartner, "顺丰特快")

	// Pickup and sorting fall due together; the simulator pushes them newest first, twice.
	w.advance(6 * time.Hour)
	waitState(t, w.a, id, InTransit)
	waitState(t, w.b, id, InTransit)
	w.advance(30 * time.Hour)
	waitState(t, w.a, id, Delivered)
	waitState(t, w.b, id, Delivered)
	if wb := w.parcel(t, w.b, id).Waybill; wb != parcel.Waybill {
		t.Errorf("destination parcel waybill %q, want %q", wb, parcel.Waybill)
	}

	// Every push was answered with SF's success; duplicates changed nothing.
	for _, p := range w.sim.Pushes() {
		if !p.Accepted {
			t.Errorf("push not accepted: %+v", p)
		}
	}
	got := w.a.must(t, 200, "GET", "/api/v1/cases/"+id+"/parcels", nil)
	ps := got["parcels"].([]any)
	evs := ps[0].(map[string]any)["events"].([]any)
	if len(ps) != 1 || len(evs) != 6 || ps[0].(map[string]any)["status"] != "delivered" {
		t.Fatalf("parcels %v", got)
	}
	// A late, replayed pickup does not move anything back.
	replay := sfPush(t, parcel.Waybill, "50", "顺丰速运 已收取快件", sim.DefaultStart.Add(time.Hour), simCheckWord)
	if ans := postPush(t, w.a, replay); ans != sf.PushOK {
		t.Fatalf("replayed push answered %s", ans)
	}
	if s := w.a.stateAt(t, id); s != Delivered {
		t.Fatalf("case went to %s after a replayed pickup", s)
	}

	// A forged push is refused with SF's answer, recorded, and never applied.
	forged := sfPush(t, parcel.Waybill, "631", "退回", sim.DefaultStart.Add(48*time.Hour), "not-the-check-word")
	if ans := postPush(t, w.a, forged); ans != sf.PushBadSignature {
		t.Fatalf("forged push answered %s", ans)
	}
	var verified bool
	var errText string
	err := w.a.opt.DB.QueryRow(context.Background(), `SELECT verified, error FROM courier_callbacks ORDER BY received_at DESC, id DESC LIMIT 1`).Scan(&verified, &errText)
	if err != nil || verified || !strings.Contains(errText, "bad signature") {
		t.Fatalf("forged push recorded as verified=%v %q %v", verified, errText, err)
	}
	if p := w.parcel(t, w.a, id); p.Status != courier.StatusDelivered {
		t.Fatalf("forged push applied: %s", p.Status)
	}

	// Sign-for at the partner closes the chain of custody at both halls.
	w.b.must(t, 200, "POST", "/api/v1/receive", ReceiveRequest{Scan: caseNo})
	waitState(t, w.a, id, Received)
	eventually(t, "signed_for at the origin", func() bool {
		c := w.a.must(t, 200, "GET", "/api/v1/parcels/"+parcel.ID.String()+"/custody", nil)
		links := c["links"].([]any)
		return links[len(links)-1].(map[string]any)["kind"] == courier.LinkSignedFor
	})
	for _, h := range []*testHall{w.a, w.b} {
		p := w.parcel(t, h, id)
		c := h.must(t, 200, "GET", "/api/v1/parcels/"+p.ID.String()+"/custody", nil)
		v := c["verification"].(map[string]any)
		kinds := linkKinds(c)
		if v["ok"] != true || kinds[0] != courier.LinkPackaged || kinds[len(kinds)-1] != courier.LinkSignedFor {
			t.Fatalf("custody at %s: %v %v", h.code, kinds, v)
		}
	}
	// Editing a link (with the append-only guard switched off) is caught and named.
	ctx := context.Background()
	tx, err := w.a.opt.DB.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = tx.Exec(ctx, `ALTER TABLE custody_links DISABLE TRIGGER custody_links_no_change`)
	if _, err := tx.Exec(ctx, `UPDATE custody_links SET body = convert_to(replace(convert_from(body, 'UTF8'), '"FZ', '"XX'), 'UTF8')
		WHERE parcel_id = $1 AND seq = 1`, parcel.ID); err != nil {
		t.Fatal(err)
	}
	_, _ = tx.Exec(ctx, `ALTER TABLE custody_links ENABLE TRIGGER custody_links_no_change`)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	c := w.a.must(t, 200, "GET", "/api/v1/parcels/"+parcel.ID.String()+"/custody", nil)
	if v := c["verification"].(map[string]any); v["ok"] != false || v["broken_at"] != float64(1) {
		t.Fatalf("tampered chain: %v", v)
	}
}

func linkKinds(c map[string]any) []string {
	var out []string
	for _, l := range c["links"].([]any) {
		out = append(out, l.(map[string]any)["kind"].(string))
	}
	return out
}

// sfPush is a route push signed with checkWord, as SF sends it.
func sfPush(t *testing.T, waybill, opCode, remark string, at time.Time, checkWord string) url.Values {
	t.Helper()
	msg := `{"Body":{"WaybillRoute":[{"id":"1","mailno":"` + waybill + `","orderid":"x","acceptTime":"` + courier.FormatLocalTime(at) +
		`","acceptAddress":"佛山市","remark":"` + remark + `","opCode":"` + opCode + `","reasonCode":"","reasonName":""}]}}`
	return sf.SignedForm(simPartner, checkWord, sf.ServiceRoutePush, msg, at)
}

func postPush(t *testing.T, h *testHall, form url.Values) string {
	t.Helper()
	resp, err := http.Post(h.base+"/api/v1/courier/callbacks/sf", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// checkWaybillCreated reads tongban.settlement.waybills as settlement does: the
// envelope must verify against the hall's key and its payload pass settlement's
// own strict parser, and name the carrier, account and product the hall used.
func checkWaybillCreated(t *testing.T, w *parcelWorld, caseID, waybill, carrier, account, product string) {
	t.Helper()
	r := bus.NewReader(w.bus, "test-settlement-"+caseID, bus.SettlementTopic)
	defer r.Close()
	keys := envelope.NewKeyring("settlement", nil)
	keys.Trust(gz, w.a.priv.Public().(ed25519.PublicKey))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		m, err := r.Fetch(ctx)
		if err != nil {
			t.Fatalf("no waybill.created for %s: %v", waybill, err)
		}
		env, err := keys.Open(m.Value, m.Headers)
		if err != nil {
			t.Fatalf("waybill event does not verify: %v", err)
		}
		if env.CaseID != caseID {
			continue
		}
		if env.Type != settlement.TypeWaybillCreated || env.To != "settlement" || env.From != gz || env.Schema != 1 || m.Key != caseID {
			t.Fatalf("envelope %+v key %s", env, m.Key)
		}
		ev, err := settlement.ParseWaybillEvent(env.Type, env.Payload)
		if err != nil {
			t.Fatalf("settlement refuses the payload: %v\n%s", err, env.Payload)
		}
		if ev.Waybill != waybill || ev.Carrier != carrier || ev.Account != account || ev.Product != product ||
			ev.OriginDivision != gz || ev.DestinationDivision != fs || ev.Hall != gz || ev.WeightG != 500 {
			t.Fatalf("waybill event %+v", ev)
		}
		return
	}
}

func TestParcelProxyDeliveryRaisesIncident(t *testing.T) {
	t.Parallel()
	w := newParcelWorld(t, sim.Faults{ProxySignRate: 1})
	id, _, parcel := w.dispatchByCourier(t)
	w.advance(40 * time.Hour)
	waitState(t, w.a, id, InTransit)
	eventually(t, "the proxy incident", func() bool {
		out := w.a.must(t, 200, "GET", "/api/v1/parcel-incidents?state=open&case="+id, nil)
		incs := out["incidents"].([]any)
		return len(incs) == 1 && incs[0].(map[string]any)["kind"] == courier.IncidentProxy
	})
	// The courier's signature is not the hall's: the case stays in transit.
	if p := w.parcel(t, w.a, id); p.Status != courier.StatusDeliveredProxy || w.a.stateAt(t, id) != InTransit {
		t.Fatalf("parcel %s, case %s", p.Status, w.a.stateAt(t, id))
	}
	_ = parcel
}

func TestParcelLostOpensIncidentAndResend(t *testing.T) {
	t.Parallel()
	w := newParcelWorld(t, sim.Faults{LostRate: 1})
	id, _, first := w.dispatchByCourier(t)
	w.advance(48 * time.Hour) // the parcel leaves the origin and is never seen again
	waitState(t, w.a, id, InTransit)
	ctx := context.Background()
	w.offset.Store(int64(2 * time.Hour)) // stale: polled, nothing new
	if err := w.a.Parcels().PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if p := w.parcel(t, w.a, id); p.PolledAt == nil {
		t.Fatal("stale parcel not polled")
	}
	w.offset.Store(int64(26 * time.Hour))
	if err := w.a.Parcels().PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	out := w.a.must(t, 200, "GET", "/api/v1/parcel-incidents?state=open", nil)
	incs := out["incidents"].([]any)
	if len(incs) != 1 {
		t.Fatalf("incidents %v", out)
	}
	inc := incs[0].(map[string]any)
	if inc["kind"] != courier.IncidentLost || len(inc["next_actions"].([]any)) != 3 {
		t.Fatalf("incident %v", inc)
	}
	w.a.must(t, 200, "POST", "/api/v1/parcel-incidents/"+inc["id"].(string)+"/resolve", ResolveRequest{Resolution: courier.ResolveResend})
	eventually(t, "the resent parcel's order", func() bool {
		p := w.parcel(t, w.a, id)
		return p.ParcelNo == 2 && p.OrderState == courier.OrderPlaced && p.Waybill != first.Waybill
	})
	// Polling again changes nothing: one lost incident per parcel.
	if err := w.a.Parcels().PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	out = w.a.must(t, 200, "GET", "/api/v1/parcel-incidents?case="+id, nil)
	if n := len(out["incidents"].([]any)); n != 1 {
		t.Fatalf("%d incidents after a second poll", n)
	}
}

func TestParcelCancelVoidsWaybill(t *testing.T) {
	t.Parallel()
	w := newParcelWorld(t, sim.Faults{})
	id, _, parcel := w.dispatchByCourier(t)
	out := w.a.must(t, 200, "POST", "/api/v1/parcels/"+parcel.ID.String()+"/cancel", nil)
	if out["order_state"] != courier.OrderVoided || out["status"] != "cancelled" {
		t.Fatalf("cancelled parcel %v", out)
	}
	var n int
	_ = w.a.opt.DB.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE topic = $1 AND key = $2`, bus.SettlementTopic, id).Scan(&n)
	if n != 2 {
		t.Fatalf("%d settlement messages, want created and voided", n)
	}
	for _, p := range w.sim.Parcels() {
		if p.Waybill == parcel.Waybill && !p.Cancelled {
			t.Fatal("the simulator still holds the order")
		}
	}
}
