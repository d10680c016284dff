package courier

import (
	"context"
	"net/http"
)

// Tracker reports what a carrier knows about parcels. kuaidi100 is only a Tracker;
// carriers we send with are full Carriers.
type Tracker interface {
	// Name is the adapter's short name ("sf", "ems", "kuaidi100").
	Name() string
	// Track returns every event the carrier holds for the waybills, oldest first per
	// waybill. Unknown waybills yield no events rather than an error. Adapters batch
	// and retry as their carrier needs.
	Track(ctx context.Context, waybills []string) ([]Event, error)
}

// Carrier is a courier we create orders with.
type Carrier interface {
	Tracker
	// Create books a pickup. It is never retried blindly: after a timeout or a
	// duplicate-order answer the adapter looks the order up by Shipment.OrderID and
	// returns the existing order, so calling Create again with the same order id is
	// safe and returns the same waybill.
	Create(ctx context.Context, s Shipment) (Order, error)
	// Cancel cancels an order that has not been picked up. Cancelling an order that is
	// already cancelled succeeds.
	Cancel(ctx context.Context, orderID, waybill string) error
}

// CallbackHandler reads a carrier's pushes. The HTTP handler that receives them reads
// the request with ParseCallback, stores the events, then answers with Ack: carriers
// re-send until they get their exact success answer, so Ack must be called with the
// storage error, not before storing.
type CallbackHandler interface {
	// ParseCallback reads and verifies one push. On a bad signature it returns no
	// events, verified false and an error wrapping ErrBadSignature. verified is false
	// with a nil error only when the account has no way to verify the push configured;
	// the caller decides whether to trust such events.
	ParseCallback(r *http.Request) (events []Event, verified bool, err error)
	// Ack writes the carrier's expected answer: success when err is nil, failure otherwise.
	Ack(w http.ResponseWriter, err error)
}

// MaxCallbackBytes bounds how much of a push a parser reads.
const MaxCallbackBytes = 1 << 20
