package handoff

import (
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/pg"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/internal/pii"
)

// childEnv makes the test binary run as a hall process instead of tests, so a test
// can SIGKILL a real hall and start it again.
const childEnv = "TONGBAN_TEST_CHILD_HALL"

func runChildHall() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	code := os.Getenv(childEnv)
	fail := func(err error) { fmt.Fprintln(os.Stderr, "child hall:", err); os.Exit(1) }
	pool, err := pg.Open(ctx, os.Getenv("CHILD_DSN"), 20)
	if err != nil {
		fail(err)
	}
	priv, err := ParseSeed(os.Getenv("CHILD_SEED"))
	if err != nil {
		fail(err)
	}
	keys := NewKeyring(code, priv)
	p, b64, _ := strings.Cut(os.Getenv("CHILD_PARTNER"), "=")
	sigB64, sealB64, _ := strings.Cut(b64, ":")
	pub, err := ParsePublic(sigB64)
	if err != nil {
		fail(err)
	}
	keys.Trust(p, pub)
	sealPub, err := pii.ParseX25519Public(sealB64)
	if err != nil {
		fail(err)
	}
	sealPriv, err := pii.ParseX25519Private(os.Getenv("CHILD_SEAL"))
	if err != nil {
		fail(err)
	}
	dataKey, _ := base64.StdEncoding.DecodeString(os.Getenv("CHILD_DATA"))
	data, err := pii.NewAESKeyring("k1", map[string][]byte{"k1": dataKey})
	if err != nil {
		fail(err)
	}
	search, _ := pii.NewSearcher(dataKey)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := NewNode(Options{Code: code, DB: pool, Bus: bus.Config{Brokers: strings.Split(os.Getenv("CHILD_BROKERS"), ",")}, Keys: keys, Log: log,
		Data: data, Search: search, Sealer: pii.NewSealer(sealPriv), SealKeys: map[string]*ecdh.PublicKey{p: sealPub}})
	if err != nil {
		fail(err)
	}
	if cat, err := catalog.Load(code); err == nil {
		if _, err := n.LoadCatalogue(ctx, cat); err != nil {
			fail(err)
		}
	}
	ln, err := net.Listen("tcp", os.Getenv("CHILD_ADDR"))
	if err != nil {
		fail(err)
	}
	go func() { _ = http.Serve(ln, n.Handler()) }()
	_ = n.Run(ctx)
}

// childHall is a hall running in a subprocess.
type childHall struct {
	*testHall
	cmd *exec.Cmd
	env []string
}

func startChild(t *testing.T, h *childHall) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), h.env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.cmd = cmd
	eventually(t, "child hall "+h.code+" to serve", func() bool {
		resp, err := http.Get(h.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
}

func (h *childHall) kill(t *testing.T) {
	t.Helper()
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = h.cmd.Process.Wait()
}

// newChild prepares a hall subprocess: its own database, address and key. The
// parent reads its database directly to check the outcome.
func newChild(t *testing.T, code string, brokers []string) *childHall {
	t.Helper()
	dsn := pgtest.DSN(t, Sources()...)
	pool, err := pg.Open(context.Background(), dsn, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	sealPriv, _ := pii.GenerateX25519()
	dataKey := pii.GenerateKey()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	n := &Node{opt: Options{Code: code, DB: pool}}
	// The parent makes the child's staff accounts directly in its database.
	svc := auth.New(auth.Options{DB: pool, Scope: code})
	h := &childHall{testHall: &testHall{Node: n, code: code, priv: priv, base: "http://" + addr,
		sealer: pii.NewSealer(sealPriv), tokens: staffTokens(t, svc, code)}}
	h.env = []string{childEnv + "=" + code, "CHILD_DSN=" + dsn, "CHILD_ADDR=" + addr, "CHILD_BROKERS=" + strings.Join(brokers, ","),
		"CHILD_SEED=" + base64.StdEncoding.EncodeToString(priv.Seed()), "CHILD_SEAL=" + pii.EncodeX25519Private(sealPriv),
		"CHILD_DATA=" + base64.StdEncoding.EncodeToString(dataKey)}
	t.Cleanup(func() {
		if h.cmd != nil {
			h.kill(t)
		}
	})
	return h
}

func partnerEnv(h *childHall) string {
	return "CHILD_PARTNER=" + h.code + "=" + base64.StdEncoding.EncodeToString(h.priv.Public().(ed25519.PublicKey)) + ":" + h.sealer.Public()
}

// TestSIGKILLedHallsLoseNothing runs both halls as subprocesses and SIGKILLs each
// while cases flow: Guangzhou while it accepts and dispatches, Foshan while it
// consumes. After restarts every case arrives once and both halls agree.
func TestSIGKILLedHallsLoseNothing(t *testing.T) {
	t.Parallel()
	e, err := bus.StartEmbedded(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if _, err := bus.EnsureTopics(context.Background(), e.Config(), bus.DefaultTopics([]string{gz, fs}, 4, 1)); err != nil {
		t.Fatal(err)
	}
	a, b := newChild(t, gz, e.Brokers()), newChild(t, fs, e.Brokers())
	a.env = append(a.env, partnerEnv(b))
	b.env = append(b.env, partnerEnv(a))
	startChild(t, a)
	startChild(t, b)

	const n = 120
	ids := make([]string, n)
	var mu sync.Mutex
	killedA, killedB := false, false
	parallel(n, 8, func(i int) {
		for attempt := 0; ; attempt++ {
			if ok := tryShip(t, a.testHall, &ids[i]); ok {
				break
			}
			time.Sleep(100 * time.Millisecond) // Guangzhou is restarting
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case i == n/3 && !killedA:
			killedA = true
			a.kill(t)
			startChild(t, a)
			t.Logf("%s restarted Guangzhou", time.Now().Format("15:04:05.000"))
		case i == 2*n/3 && !killedB:
			killedB = true
			b.kill(t)
			startChild(t, b)
			t.Logf("%s restarted Foshan", time.Now().Format("15:04:05.000"))
		}
	})
	t.Logf("%s all shipped", time.Now().Format("15:04:05.000"))
	eventually(t, "every case at Foshan", func() bool {
		return countWhere(t, b.testHall, `SELECT count(*) FROM cases`) == countWhere(t, a.testHall, `SELECT count(*) FROM cases WHERE state = 'dispatched'`)
	})
	t.Logf("%s all arrived", time.Now().Format("15:04:05.000"))
	if !killedA || !killedB {
		t.Fatal("the test did not kill both halls")
	}
	var shipped []string
	rows, _ := a.opt.DB.Query(context.Background(), `SELECT id::text FROM cases WHERE state = 'dispatched'`)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		shipped = append(shipped, s)
	}
	rows.Close()
	if len(shipped) < n {
		t.Fatalf("only %d of %d cases shipped", len(shipped), n)
	}
	assertConverged(t, a.testHall, b.testHall, shipped)
}

// tryShip takes one case in and dispatches it, tolerating a hall that is down: it
// reports false when the caller should try again. A case accepted before a crash but
// not yet dispatched is dispatched on the next attempt.
func tryShip(t *testing.T, a *testHall, id *string) bool {
	t.Helper()
	if *id == "" {
		m, items := firstMatter(t, a)
		code, out := a.callSoft(t, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: items})
		if code != 201 {
			return false
		}
		*id = out["case"].(map[string]any)["id"].(string)
	}
	if code, out := a.callSoft(t, "POST", "/api/v1/cases/"+*id+"/package", PackageRequest{SealNo: "FZ1"}); code != 200 && !(code == 409 && out["current_state"] == "dispatched") {
		return false
	}
	code, out := a.callSoft(t, "POST", "/api/v1/cases/"+*id+"/dispatch", DispatchRequest{})
	return code == 200 || (code == 409 && out["current_state"] == "dispatched")
}
