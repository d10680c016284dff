package handoff

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
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

// Header names of the signature and the signing key id.
const (
	HeaderSig = "tongban-sig"
	HeaderKey = "tongban-key"
)

// Envelope is the value of every message between halls.
type Envelope struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Schema  int             `json:"schema"`
	From    string          `json:"from"`
	To      string          `json:"to"`
	CaseID  string          `json:"case_id"`
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Payload json.RawMessage `json:"payload"`
}

// Keyring holds this hall's signing key and its partners' public keys.
type Keyring struct {
	Self     string
	KeyID    string
	private  ed25519.PrivateKey
	partners map[string]map[string]ed25519.PublicKey // hall -> key id -> key
}

// NewKeyring makes a keyring for hall self signing with priv.
func NewKeyring(self string, priv ed25519.PrivateKey) *Keyring {
	return &Keyring{Self: self, KeyID: KeyID(priv.Public().(ed25519.PublicKey)), private: priv,
		partners: map[string]map[string]ed25519.PublicKey{}}
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex. Several ids per
// partner may be trusted at once, which is how keys rotate.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// lookup finds the partner hall that owns key id.
func (k *Keyring) lookup(id string) (string, ed25519.PublicKey) {
	for hall, keys := range k.partners {
		if pub, ok := keys[id]; ok {
			return hall, pub
		}
	}
	return "", nil
}

// Trust adds a partner hall's public key.
func (k *Keyring) Trust(hall string, pub ed25519.PublicKey) {
	if k.partners[hall] == nil {
		k.partners[hall] = map[string]ed25519.PublicKey{}
	}
	k.partners[hall][KeyID(pub)] = pub
}

// Partners lists the halls this keyring trusts.
func (k *Keyring) Partners() []string {
	out := make([]string, 0, len(k.partners))
	for h := range k.partners {
		out = append(out, h)
	}
	return out
}

// Public is this hall's public key, base64, for partners' configuration.
func (k *Keyring) Public() string {
	return base64.StdEncoding.EncodeToString(k.private.Public().(ed25519.PublicKey))
}

// Seal encodes an envelope and signs the exact bytes.
func (k *Keyring) Seal(env Envelope) (value []byte, headers map[string]string, err error) {
	value, err = json.Marshal(env)
	if err != nil {
		return nil, nil, fmt.Errorf("handoff: encode envelope: %w", err)
	}
	sig := ed25519.Sign(k.private, value)
	return value, map[string]string{HeaderSig: base64.StdEncoding.EncodeToString(sig), HeaderKey: k.KeyID}, nil
}

// Reasons a message goes to quarantine.
const (
	ReasonMalformed     = "malformed"
	ReasonWrongHall     = "wrong_recipient"
	ReasonUnknownSender = "unknown_sender"
	ReasonBadSignature  = "bad_signature"
	ReasonUnknownSchema = "unknown_schema"
	ReasonBadPayload    = "invalid_payload"
	ReasonNotAllowed    = "sender_not_allowed"
	ReasonConflict      = "state_conflict"
	ReasonUnknownCase   = "unknown_case"
)

// Rejection is why a message was not applied.
type Rejection struct {
	Reason string
	Detail string
}

func (r *Rejection) Error() string { return "handoff: message rejected: " + r.Reason + ": " + r.Detail }

func reject(reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Open checks a message before anything else looks at it: that it is addressed to this
// hall, comes from a known partner, carries a valid signature over the exact bytes, and
// is a type and schema version this hall knows. Only then is it parsed for use.
func (k *Keyring) Open(value []byte, headers map[string]string) (Envelope, error) {
	// The signature is checked over the raw bytes before they are parsed as anything.
	signer, pub := k.lookup(headers[HeaderKey])
	if pub == nil {
		var head struct {
			From string `json:"from"`
		}
		_ = json.Unmarshal(value, &head)
		if _, known := k.partners[head.From]; known {
			return Envelope{}, reject(ReasonBadSignature, "key %q is not registered for %s", headers[HeaderKey], head.From)
		}
		return Envelope{}, reject(ReasonUnknownSender, "sender %q with key %q is not a registered partner", head.From, headers[HeaderKey])
	}
	sig, err := base64.StdEncoding.DecodeString(headers[HeaderSig])
	if err != nil || !ed25519.Verify(pub, value, sig) {
		return Envelope{}, reject(ReasonBadSignature, "signature does not verify with %s's key %s", signer, headers[HeaderKey])
	}
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return Envelope{}, reject(ReasonMalformed, "envelope: %v", err)
	}
	if env.From != signer {
		return Envelope{}, reject(ReasonBadSignature, "signed with %s's key but claims to come from %q", signer, env.From)
	}
	if env.To != k.Self {
		return Envelope{}, reject(ReasonWrongHall, "addressed to %q, this hall is %s", env.To, k.Self)
	}
	if _, ok := Moves[env.Type]; !ok && env.Type != TypeParcelEvent {
		return Envelope{}, reject(ReasonUnknownSchema, "unknown message type %q", env.Type)
	}
	if env.Schema != SchemaVersion {
		return Envelope{}, reject(ReasonUnknownSchema, "%s schema version %d unknown (this hall knows %d)", env.Type, env.Schema, SchemaVersion)
	}
	if _, err := uuid.Parse(env.ID); err != nil {
		return Envelope{}, reject(ReasonMalformed, "id %q is not a UUID", env.ID)
	}
	if _, err := uuid.Parse(env.CaseID); err != nil {
		return Envelope{}, reject(ReasonMalformed, "case_id %q is not a UUID", env.CaseID)
	}
	if env.Seq < 1 {
		return Envelope{}, reject(ReasonMalformed, "seq %d must be at least 1", env.Seq)
	}
	if env.At.IsZero() || len(env.Payload) == 0 {
		return Envelope{}, reject(ReasonMalformed, "at and payload are required")
	}
	return env, nil
}

var errNoKey = errors.New("handoff: no signing key")
