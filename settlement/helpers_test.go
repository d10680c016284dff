package settlement

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/envelope"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/internal/pii"
)

func TestMain(m *testing.M) {
	authkit.SetTestParams() // cheap password hashes; production parameters are tested in authkit
	pgtest.Main(m)
}

// testClock is a settable clock for the node under test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// harness is a node on a fresh database with one trusted hall.
type harness struct {
	n      *Node
	clock  *testClock
	hall   *envelope.Keyring
	offset atomic.Int64
	tokens map[auth.Role]string // a write token per centre role, for staffNames' accounts
}

// staffNames are the harness's accounts: alice prepares, bob approves, carol
// administers. Tests that call the node directly act as them too.
var staffNames = map[auth.Role]string{auth.FinancePreparer: "alice", auth.FinanceApprover: "bob", auth.Admin: "carol"}

var hallKey = ed25519.NewKeyFromSeed(make([]byte, 32))

func newHarness(t testing.TB) *harness {
	t.Helper()
	db := pgtest.New(t, Sources()...)
	data, err := pii.NewAESKeyring("k1", map[string][]byte{"k1": pii.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	keys := envelope.NewKeyring(Self, nil)
	hall := envelope.NewKeyring("440100", hallKey)
	keys.Trust("440100", hallKey.Public().(ed25519.PublicKey))
	clock := &testClock{t: time.Date(2025, 4, 2, 10, 0, 0, 0, shanghai)}
	n, err := NewNode(Options{DB: db, Keys: keys, Log: quietLog(), Clock: clock.Now, Tolerance: Tolerance{AbsFen: 0, BP: 0}, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{n: n, clock: clock, hall: hall, tokens: map[auth.Role]string{}}
	for role, name := range staffNames {
		h.tokens[role] = h.staff(t, name, role)
	}
	return h
}

// staff creates a centre account through the login service, as an administrator
// would, and returns a write token for it.
func (h *harness) staff(t testing.TB, username string, role auth.Role) string {
	t.Helper()
	ctx := context.Background()
	u, err := h.n.Auth().CreateUser(ctx, auth.NewUser{Username: username, Name: "测试", Role: role, Hall: auth.Centre, Password: "test password 1"})
	if err != nil {
		t.Fatal(err)
	}
	return h.token(t, u.ID, u.Username, role)
}

// token issues a write token for an existing account.
func (h *harness) token(t testing.TB, id uuid.UUID, username string, role auth.Role) string {
	t.Helper()
	tok, _, err := h.n.Auth().CreateToken(context.Background(), &auth.Principal{UserID: id, Username: username, Role: role, Hall: auth.Centre},
		"test", []string{auth.ScopeWrite}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// message seals a waybill event as the hall would and wraps it as fetched from Kafka.
func (h *harness) message(t testing.TB, typ string, ev WaybillEvent) bus.Message {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	env := envelope.Envelope{ID: uuid.Must(uuid.NewV7()).String(), Type: typ, Schema: WaybillSchema, From: h.hall.Self,
		To: Self, CaseID: ev.CaseID, Seq: 1, At: time.Now().UTC(), Payload: payload}
	value, headers, err := h.hall.Seal(env)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Message{Topic: bus.SettlementTopic, Key: ev.CaseID, Value: value, Headers: headers, Offset: h.offset.Add(1)}
}

func (h *harness) send(t testing.TB, typ string, ev WaybillEvent) {
	t.Helper()
	if err := h.n.HandleMessage(context.Background(), h.message(t, typ, ev)); err != nil {
		t.Fatal(err)
	}
}

// sampleEvent is a valid waybill.created event.
func sampleEvent(no string) WaybillEvent {
	return WaybillEvent{Carrier: "sf", Product: "顺丰特快", Account: "P1", Waybill: no, OriginDivision: "440106",
		DestinationDivision: "440604", WeightG: 1200, LengthMM: 300, WidthMM: 200, HeightMM: 100, Insured: true,
		DeclaredValueFen: 100000, QuotedFeeFen: 1800, CaseID: uuid.NewString(), CaseNo: "440100202503030001X",
		Hall: "440100", Department: "佛山市市场监督管理局", CreatedAt: time.Date(2025, 3, 5, 10, 0, 0, 0, shanghai)}
}

// simTariffs are the courier simulator's list prices as tariffs: SF zones by province
// only (the simulator reads SF addresses down to the province), EMS with a same-city
// zone; remote-area surcharges for Tibet, Xinjiang and Qinghai.
func simTariffs() []Tariff {
	remote := map[string]int64{"54": 2000, "65": 2000, "63": 1500}
	sfT := Tariff{Carrier: "sf", Account: "P1", Version: 1, EffectiveFrom: "2025-01-01", Body: TariffBody{
		VolumetricDivisor: 6000, FirstWeightG: 1000, RoundingUnitG: 500,
		Zones:      map[string]ZonePrice{"province": {1400, 300}, "national": {2300, 650}},
		ZoneRules:  []ZoneRule{{Same: "province", Zone: "province"}, {From: "*", To: "*", Zone: "national"}},
		Surcharges: Surcharges{InsuranceBP: 50, InsuranceMinFen: 100, InsuranceRounding: RoundUp, ReturnReceiptFen: 1000, RemoteAreaFen: remote}}}
	emsT := Tariff{Carrier: "ems", Account: "E1", Version: 1, EffectiveFrom: "2025-01-01", Body: TariffBody{
		VolumetricDivisor: 8000, FirstWeightG: 1000, RoundingUnitG: 1000,
		Zones:      map[string]ZonePrice{"city": {1000, 200}, "province": {1200, 400}, "national": {2000, 1000}},
		ZoneRules:  []ZoneRule{{Same: "city", Zone: "city"}, {Same: "province", Zone: "province"}, {Zone: "national"}},
		Surcharges: Surcharges{InsuranceBP: 100, InsuranceMinFen: 100, InsuranceRounding: RoundUp, ReturnReceiptFen: 500, RemoteAreaFen: remote}}}
	return []Tariff{sfT, emsT}
}

func (h *harness) tariffs(t testing.TB) {
	t.Helper()
	for _, tr := range simTariffs() {
		if _, err := h.n.CreateTariff(context.Background(), "alice", tr); err != nil {
			t.Fatal(err)
		}
	}
}
