package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// PingTimeout bounds Ping when the caller's context has no deadline. A
// readiness probe must answer before the orchestrator's own probe timeout.
const PingTimeout = 3 * time.Second

// Ping reports whether the cluster answers a metadata request. It tries the
// brokers in order and succeeds on the first answer, because one live
// bootstrap broker is all a client needs. /readyz uses it.
func Ping(ctx context.Context, cfg Config) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, PingTimeout)
		defer cancel()
	}
	if len(cfg.Brokers) == 0 {
		return fmt.Errorf("bus: ping: %w", ErrNoBrokers)
	}
	dialer, err := cfg.Dialer()
	if err != nil {
		return fmt.Errorf("bus: ping: %w", err)
	}
	var errs []error
	for _, b := range cfg.Brokers {
		err := pingOne(ctx, dialer, b)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", b, err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("bus: ping: %w", errors.Join(errs...))
}

func pingOne(ctx context.Context, dialer *kafka.Dialer, broker string) error {
	conn, err := dialer.DialContext(ctx, "tcp", broker)
	if err != nil {
		return err
	}
	defer conn.Close()
	// kafka.Conn ignores ctx once dialed; the deadline carries it over.
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return err
		}
	}
	_, err = conn.Brokers()
	return err
}
