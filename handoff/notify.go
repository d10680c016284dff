package handoff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Notifier tells people about an alert: the handler, the section head or the leader,
// as Alert.Recipient says. An implementation may be called again for an alert it has
// already delivered (after a crash between delivery and the record of it), so it should
// treat Alert.ID as an idempotency key. SMS gateways plug in here.
type Notifier interface {
	Notify(ctx context.Context, a Alert) error
}

// LogNotifier writes alerts to the log. It logs the case number, the stage and the
// ladder step, never the applicant and never the staff member's name.
type LogNotifier struct{ Log *slog.Logger }

func (l LogNotifier) Notify(ctx context.Context, a Alert) error {
	level := slog.LevelInfo
	if a.Level == LevelOverdue || a.Level == LevelDeemedAccepted {
		level = slog.LevelWarn
	}
	l.Log.LogAttrs(ctx, level, "deadline alert", slog.String("alert", a.ID.String()), slog.String("case_no", a.CaseNo),
		slog.String("kind", a.Kind), slog.String("level", a.Level), slog.String("recipient", a.Recipient),
		slog.String("department", a.Department), slog.Time("due_at", a.DueAt))
	return nil
}

// FanOut sends each alert to every notifier; an alert is done when all succeeded.
type FanOut []Notifier

func (f FanOut) Notify(ctx context.Context, a Alert) error {
	var errs []error
	for _, n := range f {
		errs = append(errs, n.Notify(ctx, a))
	}
	return errors.Join(errs...)
}

// WebhookNotifier POSTs each alert as JSON. Each attempt has its own timeout; a
// server error, a timeout or 429 is retried with a doubling backoff, another 4xx is
// not (the request itself is wrong). An alert that still fails stays undelivered in
// the database and the notifier worker tries it again later.
type WebhookNotifier struct {
	URL     string
	Client  *http.Client  // default http.DefaultClient
	Timeout time.Duration // per attempt; default 5 s
	Retries int           // attempts after the first; default 3
	Backoff time.Duration // wait before the first retry, doubling; default 500 ms
	Header  http.Header   // added to every request (an authorisation token)
}

// errPermanent marks an answer that retrying cannot change.
var errPermanent = errors.New("permanent")

func (wh WebhookNotifier) Notify(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("handoff: webhook: %w", err)
	}
	timeout, retries, backoff := wh.Timeout, wh.Retries, wh.Backoff
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if retries < 0 {
		retries = 0
	} else if retries == 0 {
		retries = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	for attempt := 0; ; attempt++ {
		err = wh.post(ctx, body, a, timeout)
		if err == nil || errors.Is(err, errPermanent) || attempt >= retries {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("handoff: webhook: %w", ctx.Err())
		case <-time.After(backoff << attempt):
		}
	}
	if err != nil {
		return fmt.Errorf("handoff: webhook: %w", err)
	}
	return nil
}

func (wh WebhookNotifier) post(ctx context.Context, body []byte, a Alert, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	for k, vs := range wh.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", a.ID.String())
	client := wh.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return fmt.Errorf("%w: status %d", errPermanent, resp.StatusCode)
}
