package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Cipher encrypts personal data at rest. The key id travels with the ciphertext (callers
// store it in its own column) so that old rows stay readable after the current key
// changes. aad binds a ciphertext to its context, typically the row's id, so a value
// cannot be copied into another row and still decrypt.
//
// AESKeyring implements it with AES-256-GCM. A deployment that must use national
// cryptography (GB/T 32907 SM4, e.g. SM4-GCM) satisfies this interface with its own
// implementation; nothing else in Tongban depends on the algorithm.
type Cipher interface {
	Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error)
	Open(keyID string, ciphertext, aad []byte) ([]byte, error)
}

// ErrUnknownKey is returned by Open for a key id the keyring does not hold, e.g. a key
// retired too early or a row written by another deployment.
var ErrUnknownKey = errors.New("pii: unknown key id")

// ErrDecrypt is returned when a ciphertext does not authenticate: wrong key, wrong aad
// (the value was moved to another row or case) or tampered data. The causes are
// deliberately not told apart.
var ErrDecrypt = errors.New("pii: cannot decrypt: wrong key, wrong context or tampered data")

// KeySize is the length of an AES-256 key and of the keys this package generates.
const KeySize = 32

const nonceSize = 12 // the 96-bit GCM nonce

// AESKeyring is a Cipher with AES-256-GCM and several keys by id. Seal always uses the
// current key; Open accepts any key the ring holds, which is what rotation needs: add a
// new key and make it current, re-encrypt old rows at leisure, then drop the old key.
//
// Nonces are 96 random bits prepended to the ciphertext. With random nonces a key must
// not seal more than about 2^32 values (NIST SP 800-38D); rotate well before that.
type AESKeyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

var _ Cipher = (*AESKeyring)(nil)

// NewAESKeyring builds a keyring from keys by id, each KeySize bytes; current names the
// key Seal uses and must be among them. The key bytes are not retained beyond the AES
// key schedule.
func NewAESKeyring(current string, keys map[string][]byte) (*AESKeyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("pii: keyring: no keys")
	}
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("pii: keyring: current key %q is not among the keys (have %v)", current, slices.Sorted(maps.Keys(keys)))
	}
	k := &AESKeyring{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if err := checkKeyID(id); err != nil {
			return nil, err
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("pii: keyring: key %q has %d bytes, want %d", id, len(key), KeySize)
		}
		a, err := newGCM(key)
		if err != nil {
			return nil, fmt.Errorf("pii: keyring: key %q: %w", id, err)
		}
		k.aeads[id] = a
	}
	return k, nil
}

// Current is the id of the key Seal uses.
func (k *AESKeyring) Current() string { return k.current }

// KeyIDs lists the ids the keyring can open, sorted.
func (k *AESKeyring) KeyIDs() []string { return slices.Sorted(maps.Keys(k.aeads)) }

// Seal encrypts plaintext under the current key; the result is nonce || ciphertext || tag.
func (k *AESKeyring) Seal(plaintext, aad []byte) (string, []byte, error) {
	a := k.aeads[k.current]
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+a.Overhead())
	if _, err := rand.Read(out); err != nil {
		return "", nil, fmt.Errorf("pii: seal: nonce: %w", err)
	}
	return k.current, a.Seal(out, out, plaintext, aad), nil
}

// Open decrypts a ciphertext made by Seal under keyID with the same aad.
func (k *AESKeyring) Open(keyID string, ciphertext, aad []byte) ([]byte, error) {
	a, ok := k.aeads[keyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	if len(ciphertext) < nonceSize+a.Overhead() {
		return nil, ErrDecrypt
	}
	pt, err := a.Open(nil, ciphertext[:nonceSize], ciphertext[nonceSize:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// checkKeyID accepts ids of 1-32 letters, digits, '-', '_' and '.', not starting with
// '.': ids are stored next to every ciphertext and name key files, so they must be safe
// as file names. The limit of 32 also means a base64 key (44 characters) pasted into the
// id position is refused, and the error does not echo a refused id, so a misplaced key
// never reaches a log.
func checkKeyID(id string) error {
	bad := id == "" || len(id) > 32 || id[0] == '.'
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		bad = bad || !ok
	}
	if bad {
		return errors.New("pii: invalid key id: want 1-32 characters of [A-Za-z0-9._-], not starting with '.'")
	}
	return nil
}
