package courier

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// While one batch commits, the pushes that arrive are gathered into the next batch
// rather than each taking a transaction of its own; a push with every worker idle
// goes alone, at once.
func TestIngestGathersPushesWhileABatchCommits(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storeDB(t)
	p := newTestParcel(t, db, "SF1400000000101")
	q := newTestParcel(t, db, "SF1400000000102")
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	in := NewIngester(db, IngestOptions{Hall: "440100", Workers: 2, MaxBatch: 5, Linger: time.Minute,
		OnAdvance: func(ctx context.Context, tx pgx.Tx, adv []Advance) error {
			if adv[0].Parcel.Waybill == p.Waybill {
				once.Do(func() { close(held); <-release })
			}
			return nil
		}})
	go in.Run(ctx) //nolint:errcheck
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, Shanghai)
	push := func(wb, code string, at time.Time) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := in.Ingest(ctx, Callback{Carrier: "sf", Body: []byte(wb + code), Verified: true,
				Events: []Event{ev(wb, code, StatusInTransit, at)}})
			done <- err
		}()
		return done
	}
	// The first push finds both workers idle and goes alone; it is held mid-commit.
	first := push(p.Waybill, "30", t0)
	<-held
	// Five pushes for the other parcel arrive meanwhile: the free worker lingers for
	// them (up to a minute) and takes all five when the batch is full.
	var rest []<-chan error
	for i := range 5 {
		rest = append(rest, push(q.Waybill, "3"+string(rune('1'+i)), t0.Add(time.Duration(i+1)*time.Minute)))
	}
	for _, d := range rest {
		if err := <-d; err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	var batches, held1 int
	if err := db.QueryRow(ctx, `SELECT count(DISTINCT received_at), count(*) FILTER (WHERE events = 1) FROM courier_callbacks`).Scan(&batches, &held1); err != nil {
		t.Fatal(err)
	}
	if batches != 2 || held1 != 6 {
		t.Fatalf("%d batches for %d pushes, want 2 for 6 (the held one and the five gathered)", batches, held1)
	}
}

// The polling backstop finds origin parcels still on their way with no progress,
// and no longer once they reach a final status.
func TestStaleParcelsFollowsFinalStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storeDB(t)
	p := newTestParcel(t, db, "SF1400000000201")
	in := NewIngester(db, IngestOptions{Hall: "440100"})
	t0 := time.Date(2025, 3, 3, 10, 0, 0, 0, Shanghai)
	if _, err := in.IngestBatch(ctx, []Callback{{Carrier: "sf", Verified: true, Events: []Event{ev(p.Waybill, "30", StatusInTransit, t0)}}}); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(48 * time.Hour)
	stale, err := StaleParcels(ctx, db, later, 24*time.Hour, 10)
	if err != nil || len(stale) != 1 || stale[0].ID != p.ID {
		t.Fatalf("stale %v %v, want the parcel in transit", stale, err)
	}
	if _, err := in.IngestBatch(ctx, []Callback{{Carrier: "sf", Verified: true, Events: []Event{ev(p.Waybill, "80", StatusDelivered, t0.Add(time.Hour))}}}); err != nil {
		t.Fatal(err)
	}
	if stale, err := StaleParcels(ctx, db, later, 24*time.Hour, 10); err != nil || len(stale) != 0 {
		t.Fatalf("stale %v %v after delivery, want none", stale, err)
	}
}
