package courier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
)

// ClientConfig tunes the HTTP client an adapter uses. Zero fields take the defaults
// documented on each.
type ClientConfig struct {
	// BaseURL is the carrier's host, e.g. "https://sfapi-sbox.sf-express.com". Required.
	BaseURL string
	// Timeout bounds one attempt. Default 10s.
	Timeout time.Duration
	// RatePerSecond and Burst bound how fast we call this carrier. Default 5/s, burst 5.
	// A negative rate disables the limit (tests only).
	RatePerSecond float64
	Burst         int
	// ReadAttempts is how many times a read is tried in all. Default 4. Writes
	// (creating or cancelling orders) are tried exactly once.
	ReadAttempts int
	// BackoffBase and BackoffMax shape the exponential backoff between read attempts:
	// base·2ⁿ capped at max, with jitter over its upper half. Defaults 200ms and 5s.
	BackoffBase, BackoffMax time.Duration
	// Transport replaces http.DefaultTransport, e.g. for a proxy or tests.
	Transport http.RoundTripper
	// Logger receives retry warnings (carrier, operation, attempt, error; never
	// bodies). Default slog.Default().
	Logger *slog.Logger
}

func (c ClientConfig) withDefaults() ClientConfig {
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = 5
	}
	if c.Burst == 0 {
		c.Burst = 5
	}
	if c.ReadAttempts == 0 {
		c.ReadAttempts = 4
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = 200 * time.Millisecond
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate names the first bad field.
func (c ClientConfig) Validate() error {
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return errors.New("courier: client config: BaseURL must be an http(s) URL")
	case c.Timeout < 0:
		return errors.New("courier: client config: Timeout must not be negative")
	case c.ReadAttempts < 0:
		return errors.New("courier: client config: ReadAttempts must not be negative")
	case c.BackoffBase < 0 || c.BackoffMax < 0:
		return errors.New("courier: client config: backoff must not be negative")
	}
	return nil
}

// Client is the HTTP client adapters share: timeouts, a per-carrier rate limit, and
// retries with backoff for reads only.
type Client struct {
	carrier string
	cfg     ClientConfig
	rc      *resty.Client
	limit   *TokenBucket
}

// NewClient builds the client for one carrier.
func NewClient(carrier string, cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	rc := resty.New().
		SetBaseURL(cfg.BaseURL).
		SetTimeout(cfg.Timeout).
		SetRetryCount(0). // resty would retry POSTs too; retries are ours, reads only
		SetResponseBodyLimit(8 << 20).
		SetLogger(quietLogger{}) // resty's own logs could carry bodies with personal data
	if cfg.Transport != nil {
		rc.SetTransport(cfg.Transport)
	}
	return &Client{carrier: carrier, cfg: cfg, rc: rc, limit: NewTokenBucket(cfg.RatePerSecond, cfg.Burst)}, nil
}

// Call is one form POST to the carrier.
type Call struct {
	Op   string // names the operation in errors and logs
	Path string // relative to BaseURL
	// Form builds the form for each attempt, so every attempt carries a fresh request
	// id, timestamp and signature.
	Form func() (url.Values, error)
	// Read marks calls that change nothing at the carrier; only they are retried.
	Read bool
	// Decode reads a 2xx answer. It returns an error wrapping ErrTemporary or
	// ErrRateLimited for answers worth retrying.
	Decode func(body []byte) error
}

// Do runs the call, retrying a read on network errors, 5xx and rate-limit answers.
func (c *Client) Do(ctx context.Context, call Call) error {
	attempts := 1
	if call.Read {
		attempts = c.cfg.ReadAttempts
	}
	for n := 1; ; n++ {
		if err := c.limit.Wait(ctx); err != nil {
			return fmt.Errorf("%s: %s: %w", c.carrier, call.Op, err)
		}
		err := c.once(ctx, call)
		if err == nil {
			return nil
		}
		if n >= attempts || !Retryable(err) || ctx.Err() != nil {
			return fmt.Errorf("%s: %s: %w", c.carrier, call.Op, err)
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "courier call failed, retrying",
			slog.String("carrier", c.carrier), slog.String("op", call.Op),
			slog.Int("attempt", n), slog.String("error", err.Error()))
		if err := sleep(ctx, c.backoff(n)); err != nil {
			return fmt.Errorf("%s: %s: %w", c.carrier, call.Op, err)
		}
	}
}

func (c *Client) once(ctx context.Context, call Call) error {
	form, err := call.Form()
	if err != nil {
		return err
	}
	resp, err := c.rc.R().SetContext(ctx).SetFormDataFromValues(form).Post(call.Path)
	if err != nil {
		// The call may or may not have reached the carrier: for a write the outcome is
		// unknown until looked up.
		return fmt.Errorf("%w: %w", ErrTemporary, err)
	}
	switch code := resp.StatusCode(); {
	case code == http.StatusTooManyRequests:
		return fmt.Errorf("%w: http %d", ErrRateLimited, code)
	case code >= 500:
		return fmt.Errorf("%w: http %d", ErrTemporary, code)
	case code < 200 || code > 299:
		return &APIError{Carrier: c.carrier, Code: fmt.Sprintf("http %d", code), Message: http.StatusText(code)}
	}
	return call.Decode(resp.Body())
}

// backoff is base·2^(n-1) capped at max, jittered over its upper half so that clients
// failing together do not retry together.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.BackoffBase << min(n-1, 20)
	if d <= 0 || d > c.cfg.BackoffMax {
		d = c.cfg.BackoffMax
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}

// ReadBody reads at most MaxCallbackBytes of a push; a longer one is an error. The
// length a push states sizes the buffer, up to 64 kB, so a push is usually read into
// one allocation rather than io.ReadAll's doublings.
func ReadBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 {
		buf.Grow(int(min(n, 64<<10)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxCallbackBytes+1)); err != nil {
		return nil, fmt.Errorf("courier: read callback: %w", err)
	}
	b := buf.Bytes()
	if len(b) > MaxCallbackBytes {
		return nil, fmt.Errorf("courier: read callback: body over %d bytes", MaxCallbackBytes)
	}
	return b, nil
}
