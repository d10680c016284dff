package handoff

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

func sampleAlert() Alert {
	return Alert{ID: uuid.Must(uuid.NewV7()), Hall: gz, CaseID: uuid.New(), CaseNo: "4401002026030200012X", Kind: TimerPromised,
		Level: LevelOverdue, Recipient: RecipientSectionHead, MatterCode: "M1", Department: "市场监管局", Handler: "王科员",
		DueAt: time.Date(2026, 3, 3, 16, 0, 0, 0, time.UTC), FiredAt: time.Date(2026, 3, 4, 16, 0, 0, 0, time.UTC)}
}

func TestWebhookNotifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses []int // answers in order; the last repeats
		delay    time.Duration
		wantErr  bool
		requests int32
	}{
		{"delivered at once", []int{204}, 0, false, 1},
		{"server errors are retried", []int{503, 500, 200}, 0, false, 3},
		{"429 is retried", []int{429, 200}, 0, false, 2},
		{"a bad request is not retried", []int{400}, 0, true, 1},
		{"gives up after the retries", []int{502}, 0, true, 3},
		// Only here is the server slower than the per-attempt timeout, by far: the other
		// cases must not depend on how fast a loaded machine answers.
		{"a slow server times out and is retried", []int{200}, 2 * time.Second, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			a := sampleAlert()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				var got Alert
				if err := json.NewDecoder(r.Body).Decode(&got); err != nil || got.ID != a.ID || r.Header.Get("Idempotency-Key") != a.ID.String() ||
					r.Header.Get("Authorization") != "Bearer s" {
					t.Errorf("request %d: %+v %v %v", i, got, err, r.Header)
				}
				if tt.delay > 0 {
					time.Sleep(tt.delay)
				}
				w.WriteHeader(tt.statuses[min(i, len(tt.statuses)-1)])
			}))
			defer srv.Close()
			timeout := 10 * time.Second
			if tt.delay > 0 {
				timeout = 100 * time.Millisecond
			}
			wh := WebhookNotifier{URL: srv.URL, Timeout: timeout, Retries: 2, Backoff: time.Millisecond,
				Header: http.Header{"Authorization": {"Bearer s"}}}
			err := wh.Notify(context.Background(), a)
			if (err != nil) != tt.wantErr || n.Load() != tt.requests {
				t.Errorf("err %v after %d requests; want error %v after %d", err, n.Load(), tt.wantErr, tt.requests)
			}
		})
	}
}

func TestLogNotifierLogsNoNames(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := sampleAlert()
	if err := (LogNotifier{Log: slog.New(slog.NewJSONHandler(&buf, nil))}).Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, a.Handler) || !strings.Contains(out, a.CaseNo) || !strings.Contains(out, `"level":"WARN"`) {
		t.Errorf("log line %s", out)
	}
}

// TestUndeliveredAlertIsRetried: an alert the notifier refuses stays in the table with
// its error and is delivered on a later round, after its backoff.
func TestUndeliveredAlertIsRetried(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(at(t, "2026-03-02 10:00"))
	rec := &recordingNotifier{fail: true}
	a := startClockHall(t, gz, newEmbeddedBus(t), clockHall{clock: clock, notifier: rec})
	insertTimers(t, a.opt.DB, gz, 3, 3, at(t, "2026-03-02 09:00"))
	ctx := context.Background()
	if a.sweep(t) != 3 {
		t.Fatal("three alerts expected")
	}
	if _, err := a.Deadlines().NotifyOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := a.count(t, `SELECT count(*) FROM deadline_alerts WHERE notified_at IS NULL AND notify_attempts = 1
		AND notify_error IS NOT NULL AND notify_after > $1`, clock.Now()); n != 3 {
		t.Fatalf("%d alerts waiting for a retry, want 3", n)
	}
	rec.mu.Lock()
	rec.fail = false
	rec.mu.Unlock()
	if n, _ := a.Deadlines().NotifyOnce(ctx); n != 0 {
		t.Errorf("retried %d before the backoff", n)
	}
	clock.Set(at(t, "2026-03-02 10:01"))
	if n, _ := a.Deadlines().NotifyOnce(ctx); n != 3 || rec.count() != 3 {
		t.Errorf("second round claimed %d, delivered %d", n, rec.count())
	}
	if n := a.count(t, `SELECT count(*) FROM deadline_alerts WHERE notified_at IS NULL`); n != 0 {
		t.Errorf("%d undelivered", n)
	}
}
