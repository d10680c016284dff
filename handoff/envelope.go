package handoff

import (
	"crypto/ed25519"

	"github.com/tongban/tongban/internal/envelope"
)

// Message types between halls (DESIGN.md). parcel.event carries the parcel's movement
// before sign-for; its status picks the move (parcel.in_transit, parcel.delivered).
// case.closed is ours: it lets both copies end in the same state.
const (
	TypeDispatched          = "case.dispatched"
	TypeParcelEvent         = "parcel.event"
	TypeInTransit           = "parcel.in_transit"
	TypeDelivered           = "parcel.delivered"
	TypeReceived            = "case.received"
	TypeAccepted            = "case.accepted"
	TypeCorrectionRequested = "case.correction_requested"
	TypeSupplementSent      = "case.supplement_sent"
	TypeRejected            = "case.rejected"
	TypePaused              = "case.paused"
	TypeResumed             = "case.resumed"
	TypeConcluded           = "case.concluded"
	TypeResultDispatched    = "case.result_dispatched"
	TypeResultDelivered     = "case.result_delivered"
	TypeClosed              = "case.closed"
	TypeWithdrawn           = "case.withdrawn"
)

// SchemaVersion is the one payload version each type has today. A hall quarantines a
// version it does not know rather than guess at its meaning.
const SchemaVersion = 1

// The envelope, its signing and its checks are shared with settlement.
type (
	Envelope  = envelope.Envelope
	Keyring   = envelope.Keyring
	Rejection = envelope.Rejection
)

// NewKeyring makes a keyring for hall self signing with priv.
func NewKeyring(self string, priv ed25519.PrivateKey) *Keyring {
	return envelope.NewKeyring(self, priv)
}

const (
	HeaderSig = envelope.HeaderSig
	HeaderKey = envelope.HeaderKey

	ReasonMalformed     = envelope.ReasonMalformed
	ReasonWrongHall     = envelope.ReasonWrongHall
	ReasonUnknownSender = envelope.ReasonUnknownSender
	ReasonBadSignature  = envelope.ReasonBadSignature
	ReasonUnknownSchema = envelope.ReasonUnknownSchema
	ReasonBadPayload    = envelope.ReasonBadPayload
	ReasonNotAllowed    = envelope.ReasonNotAllowed
	ReasonConflict      = envelope.ReasonConflict
)

var reject = envelope.Reject

// openMessage checks the signature and the envelope, then that the type and schema
// version are ones this hall knows.
func openMessage(k *Keyring, value []byte, headers map[string]string) (Envelope, error) {
	env, err := k.Open(value, headers)
	if err != nil {
		return env, err
	}
	if _, ok := Moves[env.Type]; !ok && env.Type != TypeParcelEvent {
		return Envelope{}, reject(ReasonUnknownSchema, "unknown message type %q", env.Type)
	}
	if env.Schema != SchemaVersion {
		return Envelope{}, reject(ReasonUnknownSchema, "%s schema version %d unknown (this hall knows %d)", env.Type, env.Schema, SchemaVersion)
	}
	return env, nil
}
