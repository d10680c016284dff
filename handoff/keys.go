package handoff

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ParseSeed decodes a base64 Ed25519 seed.
func ParseSeed(s string) (ed25519.PrivateKey, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("handoff: signing key must be a base64 Ed25519 seed of %d bytes", ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublic decodes a base64 Ed25519 public key.
func ParsePublic(s string) (ed25519.PublicKey, error) {
	pub, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("handoff: public key must be base64 Ed25519 of %d bytes", ed25519.PublicKeySize)
	}
	return pub, nil
}

// LocalKey returns the signing key kept in dir for hall code, generating it on first
// use. It is for the demo and development; production passes the key in from a secret.
func LocalKey(dir, code string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, code+".ed25519")
	if b, err := os.ReadFile(path); err == nil {
		return ParseSeed(string(b))
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("handoff: key dir: %w", err)
	}
	seed := base64.StdEncoding.EncodeToString(priv.Seed())
	if err := os.WriteFile(path, []byte(seed+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("handoff: write key: %w", err)
	}
	return priv, nil
}
