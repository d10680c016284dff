package pii

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// Sealed is personal data sealed for one receiving hall, as carried inside a message
// payload. Fields are standard base64 so the struct goes into JSON as is.
type Sealed struct {
	EphemeralPub string `json:"epk"`
	Nonce        string `json:"n"`
	Ciphertext   string `json:"ct"`
}

// sealInfo separates these keys from any other use of HKDF; bump the version with any
// change to the construction.
const sealInfo = "tongban seal v1"

// Sealer holds this hall's X25519 private key and opens what partners sealed for it.
// The matching public key is published in the partner registry.
type Sealer struct {
	priv *ecdh.PrivateKey
}

// NewSealer returns a Sealer for priv, an X25519 key.
func NewSealer(priv *ecdh.PrivateKey) *Sealer { return &Sealer{priv: priv} }

// Public is this hall's public key in base64, for the partner registry.
func (s *Sealer) Public() string { return EncodeX25519Public(s.priv.PublicKey()) }

// GenerateX25519 returns a new X25519 private key for a hall.
func GenerateX25519() (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pii: generate X25519 key: %w", err)
	}
	return k, nil
}

// EncodeX25519Private is the base64 text form of a private key, read by ParseX25519Private.
func EncodeX25519Private(k *ecdh.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(k.Bytes())
}

// EncodeX25519Public is the base64 text form of a public key, read by ParseX25519Public.
func EncodeX25519Public(k *ecdh.PublicKey) string {
	return base64.StdEncoding.EncodeToString(k.Bytes())
}

// ParseX25519Private reads a base64 X25519 private key (32 bytes). The error never
// includes the input.
func ParseX25519Private(b64 string) (*ecdh.PrivateKey, error) {
	b, err := decodeKey(b64)
	if err != nil || len(b) != 32 {
		return nil, errors.New("pii: X25519 private key: want 32 bytes in base64")
	}
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		return nil, errors.New("pii: X25519 private key: invalid")
	}
	return k, nil
}

// ParseX25519Public reads a base64 X25519 public key (32 bytes).
func ParseX25519Public(b64 string) (*ecdh.PublicKey, error) {
	b, err := decodeKey(b64)
	if err != nil || len(b) != 32 {
		return nil, errors.New("pii: X25519 public key: want 32 bytes in base64")
	}
	k, err := ecdh.X25519().NewPublicKey(b)
	if err != nil {
		return nil, errors.New("pii: X25519 public key: invalid")
	}
	return k, nil
}

// SealFor encrypts plaintext so that only the holder of recipient's private key can
// read it: a fresh ephemeral X25519 key agrees a secret with the recipient, HKDF-SHA256
// (salt = ephemeral public || recipient public, info "tongban seal v1") turns it into
// an AES-256-GCM key used for this one message. Binding both public keys into the salt
// ties the key to this pair. aad is the case id: a blob moved to another case does not
// open.
//
// Sealing gives confidentiality, not origin: anyone can seal for a hall. The message
// signature (Ed25519 by the sending hall) says who sent it.
func SealFor(recipient *ecdh.PublicKey, plaintext, aad []byte) (Sealed, error) {
	if recipient == nil || recipient.Curve() != ecdh.X25519() {
		return Sealed{}, errors.New("pii: seal: recipient must be an X25519 public key")
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return Sealed{}, fmt.Errorf("pii: seal: ephemeral key: %w", err)
	}
	shared, err := eph.ECDH(recipient)
	if err != nil {
		return Sealed{}, errors.New("pii: seal: recipient public key is unusable")
	}
	epk := eph.PublicKey().Bytes()
	aead, err := sealAEAD(shared, epk, recipient.Bytes())
	if err != nil {
		return Sealed{}, err
	}
	nonce := make([]byte, nonceSize)
	rand.Read(nonce)
	ct := aead.Seal(nil, nonce, plaintext, aad)
	enc := base64.StdEncoding
	return Sealed{EphemeralPub: enc.EncodeToString(epk), Nonce: enc.EncodeToString(nonce), Ciphertext: enc.EncodeToString(ct)}, nil
}

// Open decrypts a Sealed made for this hall with the same aad. Every failure, malformed
// or not, is ErrDecrypt, so the caller quarantines the message without learning (or
// logging) why.
func (s *Sealer) Open(sealed Sealed, aad []byte) ([]byte, error) {
	enc := base64.StdEncoding
	epk, err1 := enc.DecodeString(sealed.EphemeralPub)
	nonce, err2 := enc.DecodeString(sealed.Nonce)
	ct, err3 := enc.DecodeString(sealed.Ciphertext)
	if err1 != nil || err2 != nil || err3 != nil || len(nonce) != nonceSize {
		return nil, ErrDecrypt
	}
	pub, err := ecdh.X25519().NewPublicKey(epk)
	if err != nil {
		return nil, ErrDecrypt
	}
	shared, err := s.priv.ECDH(pub)
	if err != nil { // a low-order point: never made by SealFor
		return nil, ErrDecrypt
	}
	aead, err := sealAEAD(shared, epk, s.priv.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nonce, ct, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

func sealAEAD(shared, epk, recipient []byte) (cipher.AEAD, error) {
	salt := append(append(make([]byte, 0, len(epk)+len(recipient)), epk...), recipient...)
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, shared, salt, []byte(sealInfo)), key); err != nil {
		return nil, fmt.Errorf("pii: seal: derive key: %w", err)
	}
	a, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("pii: seal: %w", err)
	}
	return a, nil
}
