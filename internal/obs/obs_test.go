package obs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLoggerMasksPersonalNumbers(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, slog.LevelInfo, "test")
	log.Info("intake", slog.String("note", "applicant 44010619900101123X phone 13812345678"))
	out := buf.String()
	if strings.Contains(out, "44010619900101123X") || strings.Contains(out, "13812345678") {
		t.Fatalf("personal data in log: %s", out)
	}
	if !strings.Contains(out, "440106********123X") || !strings.Contains(out, "138****5678") {
		t.Fatalf("masked forms missing: %s", out)
	}
}

func TestReadyzReportsFailingCheck(t *testing.T) {
	h := NewHealth()
	fail := true
	h.AddCheck("postgres", func(context.Context) error { return nil })
	h.AddCheck("kafka", func(context.Context) error {
		if fail {
			return errors.New("no brokers")
		}
		return nil
	})
	mux := http.NewServeMux()
	h.Register(mux)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "no brokers") {
		t.Fatalf("readyz = %d %s", code, body)
	}
	fail = false
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("readyz = %d after recovery", code)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	h.Drain()
	if code, _ := get("/readyz"); code != 503 {
		t.Fatalf("readyz = %d while draining", code)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics = %d", code)
	}
}
