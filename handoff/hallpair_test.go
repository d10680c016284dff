package handoff

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongban/tongban/handoff/catalog"
	"github.com/tongban/tongban/handoff/ident"
	"github.com/tongban/tongban/internal/auth"
	"github.com/tongban/tongban/internal/authkit"
	"github.com/tongban/tongban/internal/bus"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/internal/pii"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChildHall()
		return
	}
	authkit.SetTestParams() // cheap password hashes; production parameters are tested in authkit
	pgtest.Main(m)
}

const gz, fs = "440100", "440600"

// testHall is a running hall node with its HTTP server.
type testHall struct {
	*Node
	code     string
	srv      *httptest.Server
	base     string // the hall's URL
	priv     ed25519.PrivateKey
	sealer   *pii.Sealer
	sealKeys map[string]*ecdh.PublicKey
	tokens   map[auth.Role]string // a write token per role
	stop     func()               // stops the workers and the HTTP server
	halt     func()               // stops only the workers (relay and inbox)
}

// newPair starts Guangzhou and Foshan halls on their own databases, sharing one
// embedded Kafka broker, each trusting the other's key.
func newPair(t testing.TB) (*testHall, *testHall, bus.Config) {
	t.Helper()
	ctx := context.Background()
	e, err := bus.StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cfg := e.Config()
	if _, err := bus.EnsureTopics(ctx, cfg, bus.DefaultTopics([]string{gz, fs}, 4, 1)); err != nil {
		t.Fatal(err)
	}
	a, b := startHall(t, gz, cfg, nil), startHall(t, fs, cfg, nil)
	trust(a, b)
	trust(b, a)
	return a, b, cfg
}

// trust registers other's signing and sealing keys at h.
func trust(h, other *testHall) {
	h.keys.Trust(other.code, other.priv.Public().(ed25519.PublicKey))
	pub, _ := pii.ParseX25519Public(other.sealer.Public())
	h.sealKeys[other.code] = pub
}

// hallKeys makes the data, search and sealing keys of a test hall.
func hallKeys(t testing.TB) (*pii.AESKeyring, *pii.Searcher, *pii.Sealer) {
	data, err := pii.NewAESKeyring("k1", map[string][]byte{"k1": pii.GenerateKey()})
	if err != nil {
		t.Fatal(err)
	}
	search, _ := pii.NewSearcher(pii.GenerateKey())
	x, _ := pii.GenerateX25519()
	return data, search, pii.NewSealer(x)
}

// staffTokens creates one account per hall role at the node and a write token for each.
func staffTokens(t testing.TB, svc *auth.Service, code string) map[auth.Role]string {
	t.Helper()
	ctx := context.Background()
	out := map[auth.Role]string{}
	users, err := svc.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []auth.Role{auth.WindowClerk, auth.HallStaff, auth.Supervisor, auth.Admin} {
		name := string(r) + "-" + code
		var u auth.User
		for _, existing := range users { // a restarted hall keeps its accounts
			if existing.Username == name {
				u = existing
			}
		}
		if u.Username == "" {
			if u, err = svc.CreateUser(ctx, auth.NewUser{Username: name, Name: "测试", Role: r, Hall: code, Password: "test password 1"}); err != nil {
				t.Fatal(err)
			}
		}
		tok, _, err := svc.CreateToken(ctx, &auth.Principal{UserID: u.ID, Username: u.Username, Role: r, Hall: code}, "test", []string{auth.ScopeWrite}, 0)
		if err != nil {
			t.Fatal(err)
		}
		out[r] = tok
	}
	return out
}

func startHall(t testing.TB, code string, cfg bus.Config, priv ed25519.PrivateKey) *testHall {
	t.Helper()
	return startHallWith(t, code, cfg, priv, nil)
}

// startHallWith is startHall keeping a given sealing key, as a restarted hall would.
func startHallWith(t testing.TB, code string, cfg bus.Config, priv ed25519.PrivateKey, sealWith *pii.Sealer) *testHall {
	t.Helper()
	if priv == nil {
		_, priv, _ = ed25519.GenerateKey(rand.Reader)
	}
	pool := pgtest.New(t, Sources()...)
	data, search, sealer := hallKeys(t)
	if sealWith != nil {
		sealer = sealWith
	}
	sealKeys := map[string]*ecdh.PublicKey{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	n, err := NewNode(Options{Code: code, DB: pool, Bus: cfg, Keys: NewKeyring(code, priv), Log: log,
		Data: data, Search: search, Sealer: sealer, SealKeys: sealKeys})
	if err != nil {
		t.Fatal(err)
	}
	if cat, err := catalog.Load(code); err == nil {
		if _, err := n.LoadCatalogue(context.Background(), cat); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = n.Run(ctx) }()
	srv := httptest.NewServer(n.Handler())
	h := &testHall{Node: n, code: code, srv: srv, base: srv.URL, priv: priv, sealer: sealer, sealKeys: sealKeys,
		tokens: staffTokens(t, n.Auth(), code)}
	var once sync.Once
	h.halt = func() { cancel(); <-done }
	h.stop = func() { once.Do(func() { srv.Close(); h.halt() }) }
	t.Cleanup(h.stop)
	return h
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// call sends a JSON request as actor and decodes the JSON answer.
func (h *testHall) call(t testing.TB, method, path string, body any, hdr ...string) (int, map[string]any) {
	t.Helper()
	code, out, err := h.request(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, out
}

// callSoft is call for a hall that may be down: a transport error is status 0.
func (h *testHall) callSoft(t testing.TB, method, path string, body any, hdr ...string) (int, map[string]any) {
	code, out, _ := h.request(method, path, body, hdr...)
	return code, out
}

func (h *testHall) request(method, path string, body any, hdr ...string) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	role := roleFor(method, path)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "As" {
			role = auth.Role(hdr[i+1])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if role != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[role])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

// roleFor picks who would make a call: the deciding hall's staff for their moves, an
// administrator for the catalogue and quarantine, the window clerk otherwise. Pass
// "As", role in hdr to choose, or "As", "" for no credentials.
func roleFor(method, path string) auth.Role {
	if strings.HasPrefix(path, "/api/v1/quarantine") || method == "PUT" || strings.HasPrefix(path, "/api/v1/audit") {
		return auth.Admin
	}
	if method != "GET" && (strings.HasPrefix(path, "/api/v1/supervision/") || strings.HasPrefix(path, "/api/v1/workcal/")) {
		return auth.Admin
	}
	return RoleForPath(path)
}

// must is call that fails the test unless the status is want.
func (h *testHall) must(t testing.TB, want int, method, path string, body any, hdr ...string) map[string]any {
	t.Helper()
	code, out := h.call(t, method, path, body, hdr...)
	if code != want {
		t.Fatalf("%s %s at %s = %d, want %d: %v", method, path, h.code, code, want, out)
	}
	return out
}

var idSerial atomic.Int64

// residentID makes a valid resident ID number (Guangzhou Tianhe, born 1990).
func residentID() string {
	n := idSerial.Add(1)
	first17 := fmt.Sprintf("44010619900101%03d", n%1000)
	c, _ := ident.ResidentIDCheckChar(first17)
	return first17 + string(c)
}

// firstMatter returns a promised-time matter of hall h's catalogue and a complete
// set of materials for it.
func firstMatter(t testing.TB, h *testHall) (catalog.Matter, []ItemCount) {
	t.Helper()
	cat, _ := catalog.Load(h.code)
	for _, m := range cat.Matters {
		if m.CaseType == catalog.CaseTypePromised {
			var items []ItemCount
			for _, mat := range m.Materials {
				items = append(items, ItemCount{ID: mat.ID, Originals: mat.Originals, Copies: mat.Copies})
			}
			return m, items
		}
	}
	t.Fatal("no promised-time matter in the demo catalogue")
	return catalog.Matter{}, nil
}

func applicant() Applicant {
	return Applicant{Type: "person", Name: "陈小明", IDType: ident.TypeResidentID, IDNumber: residentID(),
		Phone: "13800138000", Address: "广州市天河区天河路 100 号", Postcode: "510620"}
}

// acceptCase takes a complete application at h and returns the case id and number.
func acceptCase(t testing.TB, h *testHall) (id, caseNo string) {
	t.Helper()
	m, items := firstMatter(t, h)
	out := h.must(t, 201, "POST", "/api/v1/intake", IntakeRequest{MatterCode: m.Code, Applicant: applicant(), Materials: items})
	if out["outcome"] != OutcomeAccepted {
		t.Fatalf("intake outcome %v", out)
	}
	c := out["case"].(map[string]any)
	return c["id"].(string), c["case_no"].(string)
}

// shipCase packages and dispatches a case at the origin.
func shipCase(t testing.TB, h *testHall, id string) {
	t.Helper()
	h.must(t, 200, "POST", "/api/v1/cases/"+id+"/package", PackageRequest{SealNo: "FZ" + id[len(id)-8:]})
	h.must(t, 200, "POST", "/api/v1/cases/"+id+"/dispatch", DispatchRequest{Waybill: "SF" + id[len(id)-10:]})
}

// stateAt reads a case's state at h, "" if the hall has no copy.
func (h *testHall) stateAt(t testing.TB, id string) State {
	var s string
	err := h.opt.DB.QueryRow(context.Background(), `SELECT state FROM cases WHERE id = $1`, id).Scan(&s)
	if err != nil {
		return ""
	}
	return State(s)
}

// eventually waits until cond holds, failing after 30 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitState(t testing.TB, h *testHall, id string, want State) {
	t.Helper()
	eventually(t, fmt.Sprintf("case %s to be %s at %s (is %q)", id, want, h.code, h.stateAt(t, id)), func() bool { return h.stateAt(t, id) == want })
}

func decodeJSON(r io.Reader, v any) { _ = json.NewDecoder(r).Decode(v) }

func newTestWriter(t testing.TB, h *testHall) *bus.Writer {
	w := bus.NewWriter(h.opt.Bus)
	t.Cleanup(func() { w.Close() })
	return w
}
