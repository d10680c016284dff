package courier

import (
	"errors"
	"fmt"
)

// Errors callers branch on. Adapters wrap them, so use errors.Is.
var (
	// ErrDuplicateOrder: the carrier already has an order with this order id and the
	// adapter could not look it up.
	ErrDuplicateOrder = errors.New("duplicate order")
	// ErrRateLimited: the carrier refused the call for rate; try later.
	ErrRateLimited = errors.New("rate limited")
	// ErrBadSignature: a signature did not verify (a push to us, or our call rejected).
	ErrBadSignature = errors.New("bad signature")
	// ErrNotFound: the carrier has no such order or waybill.
	ErrNotFound = errors.New("not found")
	// ErrTemporary: network trouble, a timeout or a carrier-side failure; the outcome
	// of a write is unknown until looked up.
	ErrTemporary = errors.New("temporary failure")
)

// APIError is a carrier's refusal with its own code, kept for the audit trail. Kind
// is one of the sentinel errors above, or nil for a plain business refusal.
type APIError struct {
	Carrier string
	Code    string
	Message string
	Kind    error
}

func (e *APIError) Error() string {
	if e.Kind != nil {
		return fmt.Sprintf("%s: %s %s (%v)", e.Carrier, e.Code, e.Message, e.Kind)
	}
	return fmt.Sprintf("%s: %s %s", e.Carrier, e.Code, e.Message)
}

// Unwrap lets errors.Is see the kind.
func (e *APIError) Unwrap() error { return e.Kind }

// Retryable reports whether a read that failed with err may be tried again.
func Retryable(err error) bool {
	return errors.Is(err, ErrTemporary) || errors.Is(err, ErrRateLimited)
}
