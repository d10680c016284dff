package main

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tongban/tongban/handoff"
	"github.com/tongban/tongban/internal/config"
	"github.com/tongban/tongban/internal/pii"
)

// hallSecrets are a hall's keys: signing, sealing, data at rest and search.
type hallSecrets struct {
	keys     *handoff.Keyring
	data     *pii.AESKeyring
	search   *pii.Searcher
	sealer   *pii.Sealer
	sealKeys map[string]*ecdh.PublicKey
}

// loadHallSecrets reads the configured keys. A key left empty is generated once and
// kept under the data dir (keys/<code>/), which is right for the demo and development
// and wrong for production, where every key comes from a secret.
func loadHallSecrets(cfg config.Hall) (*hallSecrets, error) {
	dir := filepath.Join(cfg.DataDir, "keys", cfg.Code)
	var priv ed25519.PrivateKey
	var err error
	if cfg.SigningKey != "" {
		priv, err = handoff.ParseSeed(cfg.SigningKey.Reveal())
	} else {
		priv, err = handoff.LocalKey(filepath.Join(cfg.DataDir, "keys"), cfg.Code)
	}
	if err != nil {
		return nil, err
	}
	s := &hallSecrets{keys: handoff.NewKeyring(cfg.Code, priv), sealKeys: map[string]*ecdh.PublicKey{}}

	sealB64 := cfg.SealKey.Reveal()
	if sealB64 == "" {
		if sealB64, err = localSecret(filepath.Join(dir, "seal.x25519"), func() (string, error) {
			k, err := pii.GenerateX25519()
			if err != nil {
				return "", err
			}
			return pii.EncodeX25519Private(k), nil
		}); err != nil {
			return nil, err
		}
	}
	sealPriv, err := pii.ParseX25519Private(sealB64)
	if err != nil {
		return nil, &config.Problem{Env: "TONGBAN_SEAL_KEY", Value: "****", Accepted: "a base64 X25519 private key"}
	}
	s.sealer = pii.NewSealer(sealPriv)

	keyID, spec := cfg.DataKeyID, cfg.DataKeys.Reveal()
	if spec == "" {
		keyID = "local1"
		b64, err := localSecret(filepath.Join(dir, "data-local1.key"), func() (string, error) { return pii.EncodeKey(pii.GenerateKey()), nil })
		if err != nil {
			return nil, err
		}
		spec = keyID + ":" + b64
	}
	if s.data, err = pii.LoadAESKeyring(keyID, spec, ""); err != nil {
		return nil, &config.Problem{Env: "TONGBAN_DATA_KEYS", Value: "****", Accepted: err.Error()}
	}

	searchB64 := cfg.SearchKey.Reveal()
	if searchB64 == "" {
		if searchB64, err = localSecret(filepath.Join(dir, "search.key"), func() (string, error) { return pii.EncodeKey(pii.GenerateKey()), nil }); err != nil {
			return nil, err
		}
	}
	searchKey, err := base64.StdEncoding.DecodeString(strings.TrimSpace(searchB64))
	if err == nil {
		s.search, err = pii.NewSearcher(searchKey)
	}
	if err != nil {
		return nil, &config.Problem{Env: "TONGBAN_SEARCH_KEY", Value: "****", Accepted: "a base64 key of at least 32 bytes"}
	}

	for _, p := range cfg.Partners {
		code, keys, _ := strings.Cut(p, "=")
		sigB64, sealPubB64, _ := strings.Cut(keys, ":")
		pub, err := handoff.ParsePublic(sigB64)
		if err != nil {
			return nil, &config.Problem{Env: "TONGBAN_PARTNERS", Value: p, Accepted: err.Error()}
		}
		sp, err := pii.ParseX25519Public(sealPubB64)
		if err != nil {
			return nil, &config.Problem{Env: "TONGBAN_PARTNERS", Value: p, Accepted: "a base64 X25519 public key after the colon"}
		}
		s.keys.Trust(code, pub)
		s.sealKeys[code] = sp
	}
	return s, nil
}

// publicEntry is this hall's TONGBAN_PARTNERS entry for its partners' configuration.
func (s *hallSecrets) publicEntry() string {
	return s.keys.Self + "=" + s.keys.Public() + ":" + s.sealer.Public()
}

// localSecret reads a generated secret from path, creating it on first use.
func localSecret(path string, generate func() (string, error)) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	v, err := generate()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	return v, nil
}
