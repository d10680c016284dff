// Package envelope is the signed wrapper of every message between Tongban nodes: a
// JSON envelope whose exact bytes the sending hall signs with Ed25519, and a keyring
// of partners' public keys that every receiver checks before anything else.
package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Envelope is the value of every message between nodes.
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

// Keyring holds this node's signing key and its partners' public keys.
type Keyring struct {
	Self     string
	KeyID    string
	private  ed25519.PrivateKey
	partners map[string]map[string]ed25519.PublicKey // hall -> key id -> key
}

// NewKeyring makes a keyring for node self signing with priv (nil for a node that
// only receives, such as settlement).
func NewKeyring(self string, priv ed25519.PrivateKey) *Keyring {
	k := &Keyring{Self: self, private: priv, partners: map[string]map[string]ed25519.PublicKey{}}
	if priv != nil {
		k.KeyID = KeyID(priv.Public().(ed25519.PublicKey))
	}
	return k
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex. Several ids per
// partner may be trusted at once, which is how keys rotate.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Trust adds a partner's public key.
func (k *Keyring) Trust(hall string, pub ed25519.PublicKey) {
	if k.partners[hall] == nil {
		k.partners[hall] = map[string]ed25519.PublicKey{}
	}
	k.partners[hall][KeyID(pub)] = pub
}

// Partners lists the partners this keyring trusts.
func (k *Keyring) Partners() []string {
	out := make([]string, 0, len(k.partners))
	for h := range k.partners {
		out = append(out, h)
	}
	return out
}

// Public is this node's public key, base64, for partners' configuration.
func (k *Keyring) Public() string {
	return base64.StdEncoding.EncodeToString(k.private.Public().(ed25519.PublicKey))
}

// lookup finds the partner that owns key id.
func (k *Keyring) lookup(id string) (string, ed25519.PublicKey) {
	for hall, keys := range k.partners {
		if pub, ok := keys[id]; ok {
			return hall, pub
		}
	}
	return "", nil
}

// Seal encodes an envelope and signs the exact bytes.
func (k *Keyring) Seal(env Envelope) (value []byte, headers map[string]string, err error) {
	if k.private == nil {
		return nil, nil, fmt.Errorf("envelope: %s has no signing key", k.Self)
	}
	value, err = json.Marshal(env)
	if err != nil {
		return nil, nil, fmt.Errorf("envelope: encode: %w", err)
	}
	sig := ed25519.Sign(k.private, value)
	return value, map[string]string{HeaderSig: base64.StdEncoding.EncodeToString(sig), HeaderKey: k.KeyID}, nil
}

// Header names of the signature and the signing key id.
const (
	HeaderSig = "tongban-sig"
	HeaderKey = "tongban-key"
)

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

func (r *Rejection) Error() string {
	return "envelope: message rejected: " + r.Reason + ": " + r.Detail
}

// Reject builds a Rejection.
func Reject(reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Open checks a message before anything else looks at it: that it carries a valid
// signature over the exact bytes by a registered partner's key, that it claims to
// come from that partner and is addressed to this node, and that its fields are well
// formed. Checking the type and schema version is the receiving domain's job.
func (k *Keyring) Open(value []byte, headers map[string]string) (Envelope, error) {
	// The signature is checked over the raw bytes before they are parsed as anything.
	signer, pub := k.lookup(headers[HeaderKey])
	if pub == nil {
		var head struct {
			From string `json:"from"`
		}
		_ = json.Unmarshal(value, &head)
		if _, known := k.partners[head.From]; known {
			return Envelope{}, Reject(ReasonBadSignature, "key %q is not registered for %s", headers[HeaderKey], head.From)
		}
		return Envelope{}, Reject(ReasonUnknownSender, "sender %q with key %q is not a registered partner", head.From, headers[HeaderKey])
	}
	sig, err := base64.StdEncoding.DecodeString(headers[HeaderSig])
	if err != nil || !ed25519.Verify(pub, value, sig) {
		return Envelope{}, Reject(ReasonBadSignature, "signature does not verify with %s's key %s", signer, headers[HeaderKey])
	}
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return Envelope{}, Reject(ReasonMalformed, "envelope: %v", err)
	}
	if env.From != signer {
		return Envelope{}, Reject(ReasonBadSignature, "signed with %s's key but claims to come from %q", signer, env.From)
	}
	if env.To != k.Self {
		return Envelope{}, Reject(ReasonWrongHall, "addressed to %q, this hall is %s", env.To, k.Self)
	}
	if _, err := uuid.Parse(env.ID); err != nil {
		return Envelope{}, Reject(ReasonMalformed, "id %q is not a UUID", env.ID)
	}
	if _, err := uuid.Parse(env.CaseID); err != nil {
		return Envelope{}, Reject(ReasonMalformed, "case_id %q is not a UUID", env.CaseID)
	}
	if env.Seq < 1 {
		return Envelope{}, Reject(ReasonMalformed, "seq %d must be at least 1", env.Seq)
	}
	if env.At.IsZero() || len(env.Payload) == 0 {
		return Envelope{}, Reject(ReasonMalformed, "at and payload are required")
	}
	return env, nil
}
