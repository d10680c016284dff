package handoff

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/handoff/ident"
	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pii"
)

// BenchOptions configure `tongban bench handoff`.
type BenchOptions struct {
	AdminDSN string     // a server where the bench may create databases
	Bus      bus.Config // brokers (embedded or real)
	Duration time.Duration
	Clients  int
	Out      io.Writer
}

// BenchResult is what the benchmark reports.
type BenchResult struct {
	HandoffsPerSec float64
	CommitPerSec   float64
	P50, P99       time.Duration
	Cases          int
}

// Bench measures end-to-end hand-offs: a window in Guangzhou takes a case in,
// packages and dispatches it over HTTP, and the time runs until Foshan has applied the
// package. First the peak rate with many clients, then latency at half that rate, then
// PostgreSQL's own commit rate on the same server as the yardstick.
func Bench(ctx context.Context, opt BenchOptions) (BenchResult, error) {
	var res BenchResult
	say := func(format string, args ...any) { fmt.Fprintf(opt.Out, format+"\n", args...) }
	migs, err := pg.Load(Sources()...)
	if err != nil {
		return res, err
	}
	var applied sync.Map // case id -> time applied in Foshan
	halls := map[string]*benchHall{}
	privs := map[string]ed25519.PrivateKey{}
	sealers := map[string]*pii.Sealer{}
	for _, code := range []string{"440100", "440600"} {
		_, privs[code], _ = ed25519.GenerateKey(rand.Reader)
		x, err := pii.GenerateX25519()
		if err != nil {
			return res, err
		}
		sealers[code] = pii.NewSealer(x)
	}
	for code, priv := range privs {
		keys := NewKeyring(code, priv)
		sealKeys := map[string]*ecdh.PublicKey{}
		for other, p := range privs {
			if other != code {
				keys.Trust(other, p.Public().(ed25519.PublicKey))
				sealKeys[other], _ = pii.ParseX25519Public(sealers[other].Public())
			}
		}
		var hook func(Envelope)
		if code == "440600" {
			hook = func(env Envelope) {
				if env.Type == TypeDispatched {
					applied.Store(env.CaseID, time.Now())
				}
			}
		}
		h, err := startBenchHall(ctx, opt, code, keys, sealers[code], sealKeys, migs, hook)
		if err != nil {
			return res, err
		}
		defer h.close()
		halls[code] = h
	}
	a := halls["440100"]
	token, err := benchToken(ctx, a.node)
	if err != nil {
		return res, err
	}
	client := &http.Client{Transport: &bearer{token: token, next: &http.Transport{MaxIdleConnsPerHost: opt.Clients * 2}}, Timeout: 30 * time.Second}
	m, items := benchMatter()
	var serial atomic.Int64
	handoff := func() (string, time.Time, error) {
		start := time.Now()
		id, err := benchShip(ctx, client, a.url, m, items, serial.Add(1))
		return id, start, err
	}
	waitAll := func(ids []string, limit time.Duration) error {
		deadline := time.Now().Add(limit)
		for _, id := range ids {
			for {
				if _, ok := applied.Load(id); ok {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("handoff: bench: case %s not applied in Foshan within %s", id, limit)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
		return nil
	}

	// Warm-up: connections, prepared statements, the consumer group.
	if _, _, err := handoff(); err != nil {
		return res, err
	}
	say("peak: %d clients for %s", opt.Clients, opt.Duration)
	var mu sync.Mutex
	var ids []string
	var firstErr error
	start := time.Now()
	stop := start.Add(opt.Duration)
	var wg sync.WaitGroup
	for c := 0; c < opt.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) && ctx.Err() == nil {
				id, _, err := handoff()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					ids = append(ids, id)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	if err := waitAll(ids, time.Minute); err != nil {
		return res, err
	}
	var last time.Time
	for _, id := range ids {
		t, _ := applied.Load(id)
		if t.(time.Time).After(last) {
			last = t.(time.Time)
		}
	}
	res.HandoffsPerSec = float64(len(ids)) / last.Sub(start).Seconds()
	res.Cases = len(ids)
	say("peak: %d hand-offs in %.1fs = %.1f/s", len(ids), last.Sub(start).Seconds(), res.HandoffsPerSec)

	rate := res.HandoffsPerSec / 2
	say("latency: open loop at %.1f/s (half the peak) for %s", rate, opt.Duration)
	interval := time.Duration(float64(time.Second) / rate)
	type sample struct {
		id    string
		start time.Time
	}
	var samples []sample
	tick := time.NewTicker(interval)
	end := time.Now().Add(opt.Duration)
	var lwg sync.WaitGroup
	for time.Now().Before(end) && ctx.Err() == nil {
		<-tick.C
		lwg.Add(1)
		go func() {
			defer lwg.Done()
			id, t0, err := handoff()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = errors.Join(firstErr, err)
				return
			}
			samples = append(samples, sample{id, t0})
		}()
	}
	tick.Stop()
	lwg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if err := waitAll([]string{s.id}, time.Minute); err != nil {
			return res, err
		}
		t, _ := applied.Load(s.id)
		lat = append(lat, t.(time.Time).Sub(s.start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P99 = lat[len(lat)/2], lat[(len(lat)*99)/100]
	say("latency: %d hand-offs, p50 %s, p99 %s", len(lat), res.P50.Round(time.Millisecond), res.P99.Round(time.Millisecond))

	say("reference: PostgreSQL single-row update commits, 8 clients for 15s")
	if err := pg.CreateDatabase(ctx, opt.AdminDSN, "bench_commit", ""); err != nil {
		return res, err
	}
	res.CommitPerSec, err = pg.CommitRate(ctx, withDatabase(opt.AdminDSN, "bench_commit"), 8, 15*time.Second)
	if err != nil {
		return res, err
	}
	say("reference: %.0f commits/s", res.CommitPerSec)
	return res, nil
}

type benchHall struct {
	node  *Node
	url   string
	close func()
}

// benchToken is a window clerk's API token at n, for the benchmark's clients.
func benchToken(ctx context.Context, n *Node) (string, error) {
	u, err := n.Auth().CreateUser(ctx, auth.NewUser{Username: "bench", Name: "压测", Role: auth.WindowClerk, Hall: n.opt.Code, Password: "bench password 1"})
	if err != nil {
		return "", err
	}
	tok, _, err := n.Auth().CreateToken(ctx, &auth.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Hall: u.Hall}, "bench", []string{auth.ScopeWrite}, time.Hour)
	return tok, err
}

// bearer adds the API token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func startBenchHall(ctx context.Context, opt BenchOptions, code string, keys *Keyring, sealer *pii.Sealer, sealKeys map[string]*ecdh.PublicKey,
	migs []pg.Migration, hook func(Envelope)) (*benchHall, error) {
	db := "bench_hall_" + code
	conn, err := pg.Open(ctx, opt.AdminDSN, 1)
	if err != nil {
		return nil, err
	}
	_, err = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`)
	conn.Close()
	if err != nil {
		return nil, err
	}
	if err := pg.CreateDatabase(ctx, opt.AdminDSN, db, ""); err != nil {
		return nil, err
	}
	pool, err := pg.Open(ctx, withDatabase(opt.AdminDSN, db), int32(opt.Clients+10))
	if err != nil {
		return nil, err
	}
	if _, err := pg.Migrate(ctx, pool, migs); err != nil {
		pool.Close()
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	data, err := pii.NewAESKeyring("bench", map[string][]byte{"bench": pii.GenerateKey()})
	if err != nil {
		pool.Close()
		return nil, err
	}
	search, _ := pii.NewSearcher(pii.GenerateKey())
	n, err := NewNode(Options{Code: code, DB: pool, Bus: opt.Bus, Keys: keys, Log: log, Applied: hook,
		Data: data, Search: search, Sealer: sealer, SealKeys: sealKeys})
	if err != nil {
		pool.Close()
		return nil, err
	}
	cat, err := catalog.Load(code)
	if err == nil {
		_, err = n.LoadCatalogue(ctx, cat)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pool.Close()
		return nil, err
	}
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(rctx) }()
	return &benchHall{node: n, url: "http://" + ln.Addr().String(), close: func() {
		_ = srv.Close()
		cancel()
		<-done
		pool.Close()
	}}, nil
}

func benchMatter() (catalog.Matter, []ItemCount) {
	cat, _ := catalog.Load("440100")
	m := cat.Matters[0]
	var items []ItemCount
	for _, mat := range m.Materials {
		items = append(items, ItemCount{ID: mat.ID, Originals: mat.Originals, Copies: mat.Copies})
	}
	return m, items
}

// benchShip is one window's hand-off over HTTP: intake, package, dispatch.
func benchShip(ctx context.Context, c *http.Client, base string, m catalog.Matter, items []ItemCount, n int64) (string, error) {
	first17 := fmt.Sprintf("440106199001%02d%03d", 1+n%28, n%1000)
	check, _ := ident.ResidentIDCheckChar(first17)
	req := IntakeRequest{MatterCode: m.Code, Materials: items, Applicant: Applicant{Type: "person", Name: "测试申请人",
		IDType: ident.TypeResidentID, IDNumber: first17 + string(check), Phone: "13800138000", Address: "广州市天河区体育西路 1 号"}}
	var out IntakeResult
	if err := benchPost(ctx, c, base+"/api/v1/intake", req, &out); err != nil {
		return "", err
	}
	if out.Case == nil {
		return "", fmt.Errorf("handoff: bench: intake outcome %s", out.Outcome)
	}
	id := out.Case.ID.String()
	if err := benchPost(ctx, c, base+"/api/v1/cases/"+id+"/package", PackageRequest{SealNo: fmt.Sprintf("FZ%08d", n)}, nil); err != nil {
		return "", err
	}
	return id, benchPost(ctx, c, base+"/api/v1/cases/"+id+"/dispatch", DispatchRequest{}, nil)
}

func benchPost(ctx context.Context, c *http.Client, u string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("handoff: bench: POST %s = %d: %s", u, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func withDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + db
	return u.String()
}
