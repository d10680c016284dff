package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tongban/tongban/handoff/ident"
)

var binary string

// TestMain builds the real binary once; these tests run it as an operator would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tongban-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tongban")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestStartErrorsAreOneLine: an unreachable PostgreSQL or Kafka, or a bad setting,
// stops the node with one line naming it, and the right exit code.
func TestStartErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	dead := freePort(t)
	cases := []struct {
		name string
		env  []string
		code int
		want []string
	}{
		{"postgres", []string{fmt.Sprintf("TONGBAN_DATABASE_URL=postgres://u@127.0.0.1:%d/hall?sslmode=disable", dead)}, 1,
			[]string{"PostgreSQL unreachable", fmt.Sprintf("127.0.0.1:%d", dead)}},
		{"bad code", []string{"TONGBAN_HALL_CODE=44"}, 2, []string{"TONGBAN_HALL_CODE", `"44"`, "6-digit"}},
		{"bad level", []string{"TONGBAN_LOG_LEVEL=loud"}, 2, []string{"TONGBAN_LOG_LEVEL", "debug, info, warn or error"}},
		{"bad duration", []string{"TONGBAN_SHUTDOWN_TIMEOUT=soon"}, 2, []string{"TONGBAN_SHUTDOWN_TIMEOUT"}},
	}
	for _, c := range cases {
		out, code := run(t, c.env, "hall", "-http", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
		lines := strings.Split(strings.TrimSpace(out), "\n")
		last := lines[len(lines)-1]
		if code != c.code {
			t.Errorf("%s: exit %d, want %d; output:\n%s", c.name, code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(last, w) {
				t.Errorf("%s: last line %q lacks %q", c.name, last, w)
			}
		}
		if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") {
			t.Errorf("%s: stack trace in output:\n%s", c.name, out)
		}
	}
}

func TestKafkaUnreachableIsOneLine(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a private PostgreSQL")
	}
	dead := freePort(t)
	dir := dataDir(t)
	out, code := run(t, []string{"TONGBAN_DATA_DIR=" + dir, fmt.Sprintf("TONGBAN_KAFKA_BROKERS=127.0.0.1:%d", dead)},
		"hall", "-http", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; code != 1 || !strings.Contains(last, "Kafka unreachable") || !strings.Contains(last, fmt.Sprint(dead)) {
		t.Fatalf("exit %d, last line %q", code, last)
	}
	assertNoServer(t, dir)
}

func TestUnbuiltCommandExits2(t *testing.T) {
	t.Parallel()
	out, code := run(t, nil, "bench", "nothing")
	if code != 2 || !strings.Contains(out, "not built") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// dataDir is a data folder the unprivileged server user can reach when we are root.
func dataDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "tongban-demo-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// assertNoServer checks no PostgreSQL is left running on the folder.
func assertNoServer(t *testing.T, dir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "postmaster.pid"))
	if len(matches) > 0 {
		t.Fatalf("a PostgreSQL server was left running: %v", matches)
	}
}

// TestDemoServesAndStopsCleanly runs `tongban demo` from an empty folder: both halls
// answer /readyz within 60 s, and Ctrl-C stops everything, PostgreSQL included.
func TestDemoServesAndStopsCleanly(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	dir := dataDir(t)
	base := 20000 + os.Getpid()%20000
	cmd := exec.Command(binary, "demo", "-base-port", fmt.Sprint(base), "-scenario", "1s")
	cmd.Env = append(os.Environ(), "TONGBAN_DATA_DIR="+dir, "TONGBAN_LOG_LEVEL=debug")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for _, port := range []int{base + 1, base + 2} {
		for {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("hall on %d not ready within 60 s; output:\n%s", port, out.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	time.Sleep(8 * time.Second) // let the scripted cases run through several steps
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo exited with %v; output:\n%s", err, out.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("demo did not stop within 40 s of Ctrl-C; output:\n%s", out.String())
	}
	assertNoServer(t, dir)
	if !strings.Contains(out.String(), "Point a browser at") {
		t.Fatalf("demo did not say where to point a browser:\n%s", out.String())
	}
	assertNoSecretsInLogs(t, out.String(), dir)
}

var (
	// Exactly 18 characters: a 20-digit case number is not an ID number.
	residentIDRe = regexp.MustCompile(`(?:^|[^\dXx])(\d{17}[\dXx])(?:[^\dXx]|$)`)
	mobileRe     = regexp.MustCompile(`(^|\D)1[3-9]\d{9}(\D|$)`)
)

// assertNoSecretsInLogs scans everything the demo printed, at debug level while the
// scripted cases ran, for resident ID numbers, mobile numbers and any key the demo
// generated under its data dir.
func assertNoSecretsInLogs(t *testing.T, logs, dir string) {
	t.Helper()
	if !strings.Contains(logs, "intake") && !strings.Contains(logs, "migrations applied") {
		t.Fatal("the demo logged nothing to scan")
	}
	for _, sub := range residentIDRe.FindAllStringSubmatch(logs, -1) {
		if m := sub[1]; ident.ValidResidentID(m) == nil {
			t.Errorf("a resident ID number reached the logs: %s…", m[:6])
		}
	}
	if m := mobileRe.FindString(logs); m != "" {
		t.Errorf("a mobile number reached the logs: %q", strings.TrimSpace(m)[:4]+"…")
	}
	keys := 0
	filepath.WalkDir(filepath.Join(dir, "keys"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if k := strings.TrimSpace(string(b)); len(k) >= 16 {
			keys++
			if strings.Contains(logs, k) || strings.Contains(logs, k[:16]) {
				t.Errorf("key %s reached the logs", filepath.Base(p))
			}
		}
		return nil
	})
	if keys < 8 {
		t.Errorf("found only %d generated keys to look for", keys)
	}
}
