package courier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret("fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci")
	cfg := struct{ Key Secret }{s}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", slog.Any("key", s))
	js, _ := json.Marshal(cfg)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, s), string(js), logged.String()} {
		if strings.Contains(out, "fjcg5") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if s.Reveal() != "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci" {
		t.Fatal("Reveal lost the value")
	}
}

func TestSecretFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TB_TEST_KEY_FILE", path)
	if s, err := SecretFromEnv("TB_TEST_KEY"); err != nil || s.Reveal() != "from-file" {
		t.Fatalf("file: %q %v", s.Reveal(), err)
	}
	t.Setenv("TB_TEST_KEY", "x")
	if _, err := SecretFromEnv("TB_TEST_KEY"); err == nil {
		t.Fatal("both set: no error")
	}
	t.Setenv("TB_TEST_OTHER", "direct")
	if s, err := SecretFromEnv("TB_TEST_OTHER"); err != nil || s.Reveal() != "direct" {
		t.Fatalf("env: %q %v", s.Reveal(), err)
	}
}
