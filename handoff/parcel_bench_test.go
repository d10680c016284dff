package handoff

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/node"
	"github.com/tongban/tongban/internal/pg"
)

// BenchmarkCallbackIngest measures courier callback ingestion end to end at the
// origin hall: signed SF route pushes over HTTP (one scan each, as SF sends them),
// signature check, raw body recorded, dedupe, events stored and chained into
// custody, parcel statuses folded, and every case moved dispatched → in_transit →
// delivered through the state machine with its message to the partner. The clock
// stops when the last case is delivered. The yardstick is the server's commit rate
// (pg.CommitRate, 8 clients, 15 s), as in the handoff benchmark; batching many pushes
// per transaction is what lets the ratio exceed 1.
//
//	go test -run '^$' -bench BenchmarkCallbackIngest ./handoff/
func BenchmarkCallbackIngest(b *testing.B) {
	const cases, clients = 1000, 64
	ctx := context.Background()
	// The hall runs with the collector setting the tongban binary gives its nodes.
	defer debug.SetGCPercent(debug.SetGCPercent(node.NodeGCPercent))
	e, err := bus.StartEmbedded(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	w := &parcelWorld{bus: e.Config()}
	if _, err := bus.EnsureTopics(ctx, w.bus, bus.DefaultTopics([]string{gz, fs}, 4, 1)); err != nil {
		b.Fatal(err)
	}
	cl := durableCluster(ctx, b, "bench_hall", "bench_commit")
	pool, err := pg.Open(ctx, cl.DSN("bench_hall"), 40)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	migs, err := pg.Load(parcelSources()...)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pg.Migrate(ctx, pool, migs); err != nil {
		b.Fatal(err)
	}
	a, run := w.hallOn(b, gz, pool)
	a.Parcels().Use(pushOnlySF(b))
	// The partner is not running (its work would share this machine), but packages
	// are sealed for it, so it needs its keys registered.
	_, partnerPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, _, partnerSealer := hallKeys(b)
	trust(a, &testHall{code: fs, priv: partnerPriv, sealer: partnerSealer})
	run()

	// Cases dispatched with typed waybills, so no order is placed during the run.
	waybills := make([]string, cases)
	var next atomic.Int64
	runParallel(16, func() {
		for i := int(next.Add(1)) - 1; i < cases; i = int(next.Add(1)) - 1 {
			id, _ := acceptCase(b, a)
			a.must(b, 200, "POST", "/api/v1/cases/"+id+"/package", PackageRequest{SealNo: fmt.Sprintf("FZ%08d", i)})
			waybills[i] = fmt.Sprintf("SF14%011d", 50000000000+i)
			a.must(b, 200, "POST", "/api/v1/cases/"+id+"/dispatch", DispatchRequest{Waybill: waybills[i]})
		}
	})
	if b.Failed() {
		b.FailNow()
	}
	steps := []struct {
		code, text string
		after      time.Duration
	}{{"50", "顺丰速运 已收取快件", 2 * time.Hour}, {"30", "快件在【广州市】完成分拣,准备发出", 4 * time.Hour},
		{"36", "快件已从【广州市】发出", 5 * time.Hour}, {"31", "快件到达【佛山市】", 20 * time.Hour},
		{"44", "快件交给收派员,正在派送途中", 26 * time.Hour}, {"80", "已签收,感谢使用顺丰 签收人:本人", 29 * time.Hour}}
	// SF pushes up to 10 routes at once; each push here carries one scan of each of
	// 10 parcels, the pushes of one scan before the next (clients overlap them).
	start0 := time.Date(2025, 3, 3, 9, 0, 0, 0, courier.Shanghai)
	var bodies []string
	for _, s := range steps {
		at := start0.Add(s.after)
		for g := 0; g < cases; g += sf.MaxRouteNumbers {
			var routes []string
			for _, wb := range waybills[g:min(g+sf.MaxRouteNumbers, cases)] {
				routes = append(routes, `{"id":"1","mailno":"`+wb+`","orderid":"x","acceptTime":"`+courier.FormatLocalTime(at)+
					`","acceptAddress":"广州市","remark":"`+s.text+`","opCode":"`+s.code+`","reasonCode":"","reasonName":""}`)
			}
			msg := `{"Body":{"WaybillRoute":[` + strings.Join(routes, ",") + `]}}`
			bodies = append(bodies, sf.SignedForm(simPartner, simCheckWord, sf.ServiceRoutePush, msg, at).Encode())
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	url := a.base + "/api/v1/courier/callbacks/sf"
	var refused atomic.Int64
	var firstRefusal atomic.Value
	b.ResetTimer()
	prof := startProfile(ctx, b, pool)
	start := time.Now()
	next.Store(0)
	runParallel(clients, func() {
		for i := int(next.Add(1)) - 1; i < len(bodies); i = int(next.Add(1)) - 1 {
			resp, err := client.Post(url, "application/x-www-form-urlencoded", strings.NewReader(bodies[i]))
			if err != nil {
				b.Error(err)
				return
			}
			ans, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(ans) != sf.PushOK {
				refused.Add(1)
				firstRefusal.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, ans))
			}
		}
	})
	pushed := time.Since(start)
	if n := refused.Load(); n > 0 {
		b.Fatalf("%d pushes refused, first: %v", n, firstRefusal.Load())
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var delivered int
		if err := a.opt.DB.QueryRow(ctx, `SELECT count(*) FROM cases WHERE state = 'delivered'`).Scan(&delivered); err != nil {
			b.Fatal(err)
		}
		if delivered == cases {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d cases delivered", delivered, cases)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	prof.stop(ctx)
	events := float64(cases * len(steps))
	eps := events / elapsed.Seconds()
	var batches int
	_ = a.opt.DB.QueryRow(ctx, `SELECT count(DISTINCT received_at) FROM courier_callbacks`).Scan(&batches)
	a.stop()
	commit, err := pg.CommitRate(ctx, cl.DSN("bench_commit"), 8, 15*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(eps, "events/s")
	b.ReportMetric(float64(len(bodies))/float64(max(batches, 1)), "pushes/batch")
	fmt.Printf("callback ingest: %d events (%d cases × %d scans) in %d signed pushes of up to 10 routes from %d clients in %s (pushes answered after %s); %d ingest transactions; %d case moves\n",
		int(events), cases, len(steps), len(bodies), clients, elapsed.Round(time.Millisecond), pushed.Round(time.Millisecond), batches, 2*cases)
	fmt.Printf("RESULT events_per_s=%.0f commit_per_s=%.0f ratio=%.2f\n", eps, commit, eps/commit)
}

// runParallel runs f on n goroutines and waits.
func runParallel(n int, f func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
}
