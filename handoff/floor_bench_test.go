package handoff

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/internal/envelope"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pii"
)

// BenchmarkHandoffFloor measures what a hand-off costs before it touches a database
// or the bus: the window's three HTTP calls (intake, package, dispatch) with their
// JSON in and out, sealing the applicant for the deciding hall and opening it there,
// and signing case.dispatched and verifying it. Those are fixed by the issue (three
// window steps over HTTP) and by the design (a signed envelope, sealed personal
// data). It reports their CPU time per hand-off against the budget the hand-off
// benchmark's goal leaves: at ratio 0.5 a hand-off may use 2 × cores ÷ commit_per_s
// core-seconds, all of its work included. A floor above the budget means no
// implementation of the design reaches the goal on this machine.
//
//	go test ./handoff -run '^$' -bench BenchmarkHandoffFloor -benchtime 1x
func BenchmarkHandoffFloor(b *testing.B) {
	const handoffs = 20000
	ctx := context.Background()
	m, items := benchMatter()
	intake, _ := json.Marshal(IntakeRequest{MatterCode: m.Code, Materials: items, Applicant: Applicant{Type: "person", Name: "测试申请人",
		IDType: "111", IDNumber: "11010519491231002X", Phone: "13800138000", Address: "广州市天河区体育西路 1 号"}})
	pkg, _ := json.Marshal(PackageRequest{SealNo: "FZ00000001"})
	answer, _ := json.Marshal(floorCase(m.Code, m.Name, items))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(body []byte) error {
		resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var c Case
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("answer %d: %v", resp.StatusCode, err)
		}
		return nil
	}

	_, privA, _ := ed25519.GenerateKey(rand.Reader)
	keysA, keysB := envelope.NewKeyring(gz, privA), envelope.NewKeyring(fs, nil)
	keysB.Trust(gz, privA.Public().(ed25519.PublicKey))
	xB, _ := pii.GenerateX25519()
	openerB := pii.NewSealer(xB)
	applicant, _ := json.Marshal(Applicant{Type: "person", Name: "测试申请人", IDType: "111", IDNumber: "11010519491231002X",
		Phone: "13800138000", Address: "广州市天河区体育西路 1 号"})
	calls := func() error {
		for _, body := range [][]byte{intake, pkg, []byte(`{}`)} {
			if err := post(body); err != nil {
				return err
			}
		}
		return nil
	}
	crypto := func() error {
		id := uuid.New().String()
		sealed, err := pii.SealFor(xB.PublicKey(), applicant, []byte(id))
		if err != nil {
			return err
		}
		payload, _ := json.Marshal(Package{CaseNo: "440100202611300000018", Origin: gz, Destination: fs, MatterCode: m.Code,
			MatterName: m.Name, Applicant: sealed, SealNo: "FZ00000001", IntakeAt: time.Now()})
		value, headers, err := keysA.Seal(envelope.Envelope{ID: id, Type: TypeDispatched, Schema: 1, From: gz, To: fs, CaseID: id, Seq: 1,
			At: time.Now(), Payload: payload})
		if err != nil {
			return err
		}
		env, err := keysB.Open(value, headers)
		if err != nil {
			return err
		}
		var got Package
		if err := json.Unmarshal(env.Payload, &got); err != nil {
			return err
		}
		_, err = openerB.Open(got.Applicant, []byte(id))
		return err
	}
	b.ResetTimer()
	httpUS := floorCPU(b, handoffs, calls)
	cryptoUS := floorCPU(b, handoffs, crypto)
	b.StopTimer()
	floorUS := httpUS + cryptoUS

	commit := floorCommitRate(ctx, b)
	cores := runtime.GOMAXPROCS(0)
	budgetUS := 2 * float64(cores) * 1e6 / commit
	b.ReportMetric(floorUS, "floor_core_us")
	b.ReportMetric(budgetUS, "budget_core_us")
	fmt.Printf("hand-off floor on %d cores: %.0f core-µs each = %.0f for the three HTTP calls + %.0f to seal, sign, verify and open; "+
		"commit rate %.0f/s leaves %.0f core-µs a hand-off at ratio 0.5\n", cores, floorUS, httpUS, cryptoUS, commit, budgetUS)
	fmt.Printf("RESULT floor_core_us=%.0f budget_core_us=%.0f commit_per_s=%.0f max_ratio=%.3f\n", floorUS, budgetUS, commit,
		float64(cores)*1e6/floorUS/commit)
}

// floorCPU runs f n times on 4 goroutines a core and returns its CPU time per run in
// microseconds (after a warm-up of connections and caches).
func floorCPU(b *testing.B, n int, f func() error) float64 {
	for range 200 {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	cpu0 := cpuTime()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := f(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return float64((cpuTime() - cpu0).Microseconds()) / float64(n)
}

// floorCase is a case as the hall answers it, for the floor's HTTP answers.
func floorCase(code, name string, items []ItemCount) Case {
	c := Case{ID: uuid.New(), CaseNo: "440100202611300000018", Origin: gz, Destination: fs, Direction: "outgoing", MatterCode: code,
		MatterName: name, Department: "佛山市公安局", CaseType: 1, LegalLimit: 20, PromisedLimit: 10, LimitUnit: "working_days",
		Applicant: Applicant{Type: "person", Name: "测*人", IDType: "111", IDNumber: "110105********002X", Phone: "138****8000",
			Address: "广州市天河区****"}, Missing: []string{}, State: Dispatched, StateZH: "已寄出", Clerk: "clerk.440100",
		IntakeAt: time.Now(), StateChangedAt: time.Now(), UpdatedAt: time.Now()}
	for _, it := range items {
		c.Materials = append(c.Materials, MaterialLine{ID: it.ID, Name: "材料 " + it.ID, Originals: it.Originals, Copies: it.Copies,
			Required: true, GotOrig: it.Originals, GotCopies: it.Copies})
		c.Manifest = append(c.Manifest, ManifestLine{ID: it.ID, Name: "材料 " + it.ID, Originals: it.Originals, Copies: it.Copies})
	}
	return c
}

// cpuTime is this process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floorCommitRate is pg.CommitRate on a durable private cluster, as the hand-off
// benchmark measures it.
func floorCommitRate(ctx context.Context, b *testing.B) float64 {
	cl := durableCluster(ctx, b, "bench_commit")
	rate, err := pg.CommitRate(ctx, cl.DSN("bench_commit"), 8, 15*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	return rate
}

// durableCluster starts a private cluster with fsync on, as `tongban bench` uses (the
// test clusters run without it, which would make a commit-rate yardstick meaningless),
// with the named databases; it stops when the benchmark ends.
func durableCluster(ctx context.Context, b *testing.B, dbs ...string) *pg.Cluster {
	b.Helper()
	dir, err := os.MkdirTemp("", "tongban-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o755)
	opt := pg.ClusterOptions{Log: slog.New(slog.DiscardHandler)}
	if profileDir() != "" {
		opt.Settings = []string{"shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all", "track_functions=pl"}
	}
	cl, err := pg.StartCluster(ctx, dir+"/pg", opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Stop)
	for _, db := range dbs {
		if err := cl.CreateDatabase(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
	return cl
}
