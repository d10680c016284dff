package courier

import "fmt"

// Status is a parcel's state in Tongban's vocabulary. Every carrier's own codes are
// mapped onto these values; the raw code travels beside it in Event.RawCode.
type Status string

const (
	StatusCreated         Status = "created"
	StatusPickedUp        Status = "picked_up"
	StatusInTransit       Status = "in_transit"
	StatusArrivedCity     Status = "arrived_city"
	StatusOutForDelivery  Status = "out_for_delivery"
	StatusFailedAttempt   Status = "failed_attempt"
	StatusException       Status = "exception"
	StatusReturning       Status = "returning"
	StatusDelivered       Status = "delivered"        // signed by the addressee
	StatusDeliveredProxy  Status = "delivered_proxy"  // signed by someone else
	StatusDeliveredLocker Status = "delivered_locker" // left in a locker or collection point
	StatusReturned        Status = "returned"
	StatusCancelled       Status = "cancelled"
)

// statusRank orders the vocabulary by progress. Carriers push late, twice and out of
// order, so a parcel's current status only moves to a status of equal or higher rank.
//
// The ordering, lowest first:
//
//	10 created
//	20 picked_up
//	30 in_transit
//	40 arrived_city
//	50 out_for_delivery, failed_attempt   (equal: a parcel goes out again after a failed attempt)
//	55 exception                          (sticky: only a return or a terminal state replaces it,
//	                                       so a problem is never hidden by a later routine scan)
//	60 returning
//	90 delivered_proxy, delivered_locker  (terminal, but the addressee may still sign later)
//	100 delivered, returned, cancelled    (terminal)
//
// Terminal states rank above every other state, so nothing non-terminal can follow one.
var statusRank = map[Status]int{
	StatusCreated:         10,
	StatusPickedUp:        20,
	StatusInTransit:       30,
	StatusArrivedCity:     40,
	StatusOutForDelivery:  50,
	StatusFailedAttempt:   50,
	StatusException:       55,
	StatusReturning:       60,
	StatusDeliveredProxy:  90,
	StatusDeliveredLocker: 90,
	StatusDelivered:       100,
	StatusReturned:        100,
	StatusCancelled:       100,
}

// Statuses lists the vocabulary in rank order.
func Statuses() []Status {
	return []Status{
		StatusCreated, StatusPickedUp, StatusInTransit, StatusArrivedCity,
		StatusOutForDelivery, StatusFailedAttempt, StatusException, StatusReturning,
		StatusDeliveredProxy, StatusDeliveredLocker, StatusDelivered, StatusReturned,
		StatusCancelled,
	}
}

// Rank is the status's place in the progress order documented on statusRank; an
// unknown status ranks 0, below created.
func (s Status) Rank() int { return statusRank[s] }

// Valid reports whether s is part of the vocabulary.
func (s Status) Valid() bool { _, ok := statusRank[s]; return ok }

// IsTerminal reports whether the parcel's journey with the carrier is over.
func (s Status) IsTerminal() bool { return s.Rank() >= 90 }

// CountsAsReceived reports whether the carrier's status alone shows the addressee
// received the parcel. Proxy and locker deliveries do not: for a government handoff
// the destination hall's staff must sign for the parcel in Tongban.
func (s Status) CountsAsReceived() bool { return s == StatusDelivered }

// Advances reports whether a parcel at status cur may move to next: next must be
// valid and rank no lower than cur. Moving to the same status is allowed (it is a
// no-op), so replayed events are harmless.
func Advances(cur, next Status) bool {
	if !next.Valid() {
		return false
	}
	return next.Rank() >= cur.Rank()
}

// ParseStatus checks s against the vocabulary.
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if !st.Valid() {
		return "", fmt.Errorf("courier: parse status: unknown status %q", s)
	}
	return st, nil
}
