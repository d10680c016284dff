package courier

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/pg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// storeDB is a database with only the courier tables: the store needs no case table.
func storeDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return pgtest.New(t, Migrations())
}

func newTestParcel(t *testing.T, db *pgxpool.Pool, waybill string) Parcel {
	t.Helper()
	p, err := CreateParcel(context.Background(), db, NewParcel{CaseID: uuid.New(), CaseNo: "C1", Role: RoleOrigin,
		Carrier: "sf", Waybill: waybill, OrderState: OrderManual, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ev(wb, code string, st Status, at time.Time) Event {
	return Event{Carrier: "sf", Waybill: wb, Status: st, RawCode: code, RawText: "scan " + code, At: at}
}

func TestIngestDedupesAndNeverGoesBackwards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storeDB(t)
	p := newTestParcel(t, db, "SF1400000000001")
	var mu sync.Mutex
	var stages []string
	in := NewIngester(db, IngestOptions{Hall: "440100", Committed: func(adv []Advance) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range adv {
			if a.Stage != "" {
				stages = append(stages, a.Stage)
			}
		}
	}})
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, Shanghai)
	pick, deliv, arrive := ev(p.Waybill, "50", StatusPickedUp, t0), ev(p.Waybill, "80", StatusDelivered, t0.Add(30*time.Hour)),
		ev(p.Waybill, "31", StatusArrivedCity, t0.Add(20*time.Hour))
	cb := func(evs ...Event) Callback {
		return Callback{Carrier: "sf", Body: []byte("x"), Verified: true, Events: evs}
	}
	// Out of order across batches: delivered first, then the late scans; twice each.
	res, err := in.IngestBatch(ctx, []Callback{cb(pick), cb(deliv), cb(deliv)})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].New != 1 || res[1].New != 1 || res[2].New != 0 {
		t.Fatalf("results %+v", res)
	}
	if _, err := in.IngestBatch(ctx, []Callback{cb(arrive, pick)}); err != nil {
		t.Fatal(err)
	}
	got, err := GetParcel(ctx, db, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusDelivered || got.RawCode != "80" || got.PendingMove != StageDelivered {
		t.Fatalf("parcel %+v", got)
	}
	evs, _ := EventsOf(ctx, db, []uuid.UUID{p.ID})
	if len(evs) != 3 {
		t.Fatalf("%d events stored, want 3", len(evs))
	}
	if len(stages) != 1 || stages[0] != StageDelivered {
		t.Fatalf("stages owed %v, want one delivered", stages)
	}
	// An unverified push is recorded and never applied.
	forged := Callback{Carrier: "sf", Body: []byte("forged"), Verified: false, Error: "bad signature",
		Events: []Event{ev(p.Waybill, "631", StatusReturned, t0.Add(40*time.Hour))}}
	if _, err := in.IngestBatch(ctx, []Callback{forged}); err != nil {
		t.Fatal(err)
	}
	var unverified int
	_ = db.QueryRow(ctx, `SELECT count(*) FROM courier_callbacks WHERE NOT verified AND error = 'bad signature'`).Scan(&unverified)
	if got, _ := GetParcel(ctx, db, p.ID); got.Status != StatusDelivered || unverified != 1 {
		t.Fatalf("forged push applied: %s, %d recorded", got.Status, unverified)
	}
	links, v, err := VerifyCustody(ctx, db, p.ID)
	if err != nil || !v.OK || len(links) != 3 {
		t.Fatalf("custody %d links %+v %v", len(links), v, err)
	}
}

func TestCustodyNamesTheBrokenLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storeDB(t)
	p := newTestParcel(t, db, "SF1400000000002")
	now := time.Now()
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		return AppendCustody(ctx, tx, p.ID,
			Link{At: now, Kind: LinkPackaged, Hall: "440100", Actor: "clerk", Detail: map[string]any{"seal_no": "FZ1"}},
			Link{At: now, Kind: LinkHandedToCourier, Hall: "440100", Actor: "clerk"},
			Link{At: now, Kind: LinkSignedFor, Hall: "440100", Actor: "440600"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, v, _ := VerifyCustody(ctx, db, p.ID); !v.OK || v.Links != 3 {
		t.Fatalf("fresh chain: %+v", v)
	}
	// The table refuses edits; someone who switches the guard off is still caught.
	if _, err := db.Exec(ctx, `UPDATE custody_links SET kind = kind WHERE parcel_id = $1`, p.ID); err == nil {
		t.Fatal("custody_links accepted an UPDATE")
	}
	tamper := func(sql string) Verification {
		t.Helper()
		pastGuard(t, db, "custody_links", sql, p.ID)
		_, v, _ := VerifyCustody(ctx, db, p.ID)
		return v
	}
	v := tamper(`UPDATE custody_links SET body = convert_to(replace(convert_from(body, 'UTF8'), 'FZ1', 'FZ2'), 'UTF8') WHERE parcel_id = $1 AND seq = 1`)
	if v.OK || v.BrokenAt != 1 {
		t.Fatalf("edited seal number: %+v", v)
	}
	v = tamper(`DELETE FROM custody_links WHERE parcel_id = $1 AND seq = 1`)
	if v.OK || v.BrokenAt != 1 || v.Reason != "link 1 is missing" {
		t.Fatalf("removed link: %+v", v)
	}
}

func TestVerifyChainCutEnd(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	links, head, err := chainLinks(id, chainHead{}, []Link{{Kind: "a"}, {Kind: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := VerifyChain(id, links, head.Hash); !v.OK || v.Head != head.Hash {
		t.Fatalf("%+v", v)
	}
	if v := VerifyChain(id, links[:1], head.Hash); v.OK || v.BrokenAt != 2 {
		t.Fatalf("cut end: %+v", v)
	}
	if v := VerifyChain(uuid.New(), links, ""); v.OK || v.BrokenAt != 1 {
		t.Fatalf("links of another parcel: %+v", v)
	}
}

// TestCourierEventsAreLinksOfTheChain covers events stored once, as links of their
// parcel's chain beside the halls' steps: one chain in seq order across both tables,
// events as append-only as the links, and an edited event named by verification.
func TestCourierEventsAreLinksOfTheChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storeDB(t)
	p := newTestParcel(t, db, "SF1400000000003")
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, Shanghai)
	hall := func(kind string) {
		t.Helper()
		if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			return AppendCustody(ctx, tx, p.ID, Link{At: t0, Kind: kind, Hall: "440100", Actor: "clerk"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	in := NewIngester(db, IngestOptions{Hall: "440100"})
	hall(LinkPackaged)
	hall(LinkHandedToCourier)
	stray := ev("SF1499999999999", "50", StatusPickedUp, t0)
	if _, err := in.IngestBatch(ctx, []Callback{{Carrier: "sf", Body: []byte("x"), Verified: true, Events: []Event{
		ev(p.Waybill, "31", StatusArrivedCity, t0.Add(20*time.Hour)), ev(p.Waybill, "50", StatusPickedUp, t0.Add(2*time.Hour)), stray}}}); err != nil {
		t.Fatal(err)
	}
	hall(LinkSignedFor)

	links, v, err := VerifyCustody(ctx, db, p.ID)
	if err != nil || !v.OK {
		t.Fatalf("chain %+v %v", v, err)
	}
	var kinds []string
	for _, l := range links {
		kinds = append(kinds, l.Kind)
	}
	want := []string{LinkPackaged, LinkHandedToCourier, CourierLink(StatusPickedUp), CourierLink(StatusArrivedCity), LinkSignedFor}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("chain reads %v, want %v", kinds, want)
	}
	if links[3].Detail["raw_code"] != "31" || links[3].Actor != "courier:sf" {
		t.Fatalf("event link %+v", links[3])
	}
	var strays int
	_ = db.QueryRow(ctx, `SELECT count(*) FROM parcel_events WHERE waybill = $1 AND parcel_id IS NULL AND seq IS NULL`, stray.Waybill).Scan(&strays)
	if strays != 1 {
		t.Fatalf("%d events of the unknown waybill stored outside any chain, want 1", strays)
	}

	if _, err := db.Exec(ctx, `UPDATE parcel_events SET raw_text = 'x' WHERE waybill = $1`, p.Waybill); err == nil {
		t.Fatal("parcel_events accepted an UPDATE")
	}
	// Claiming the parcel arrived when the carrier said it was picked up.
	pastGuard(t, db, "parcel_events", `UPDATE parcel_events SET status = 'arrived_city' WHERE waybill = $1 AND raw_code = '50'`, p.Waybill)
	if _, v, _ := VerifyCustody(ctx, db, p.ID); v.OK || v.BrokenAt != 3 {
		t.Fatalf("edited event: %+v", v)
	}
}

// TestConcurrentDuplicatesStoreOnce pushes the same events from several batches at
// once: each known parcel's events are looked up only after its row is locked, so
// every batch but the first finds them stored and the chain gets each once; an
// unknown waybill's event meets its duplicate in the key instead.
func TestConcurrentDuplicatesStoreOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storeDB(t)
	p := newTestParcel(t, db, "SF1400000000004")
	in := NewIngester(db, IngestOptions{Hall: "440100"})
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, Shanghai)
	evs := []Event{ev(p.Waybill, "50", StatusPickedUp, t0), ev(p.Waybill, "31", StatusArrivedCity, t0.Add(20*time.Hour)),
		ev(p.Waybill, "80", StatusDelivered, t0.Add(30*time.Hour)), ev("SF1499999999998", "50", StatusPickedUp, t0)}
	const batches = 8
	errs := make(chan error, batches)
	var wg sync.WaitGroup
	for range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := in.IngestBatch(ctx, []Callback{{Carrier: "sf", Body: []byte("x"), Verified: true, Events: evs}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	links, v, err := VerifyCustody(ctx, db, p.ID)
	if err != nil || !v.OK || len(links) != 3 {
		t.Fatalf("chain of %d links %+v %v, want 3 that verify", len(links), v, err)
	}
	var stored int
	_ = db.QueryRow(ctx, `SELECT count(*) FROM parcel_events WHERE waybill = ANY($1)`, []string{p.Waybill, "SF1499999999998"}).Scan(&stored)
	if stored != 4 {
		t.Fatalf("%d events stored, want 4", stored)
	}
	if got, _ := GetParcel(ctx, db, p.ID); got.Status != StatusDelivered {
		t.Fatalf("parcel %s", got.Status)
	}
}

// pastGuard runs sql on table with its append-only trigger switched off, as someone
// with the owner's rights could: what verification must still catch.
func pastGuard(t *testing.T, db *pgxpool.Pool, table, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+table+` DISABLE TRIGGER `+table+`_no_change`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ALTER TABLE `+table+` ENABLE TRIGGER `+table+`_no_change`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
