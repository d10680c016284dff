package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Searcher computes blind indexes: a keyed hash of a value lets a query find the row
// with exactly that ID number or phone number while the database holds only
// ciphertext and hashes. It is keyed (HMAC, not a plain hash) because the space of ID
// and phone numbers is small enough to hash in full; without the key, a stolen database
// does not reveal which value a hash stands for.
//
// The search key is separate from the data keys and, unlike them, cannot rotate without
// recomputing every stored hash.
type Searcher struct {
	key []byte
}

// NewSearcher returns a Searcher with a key of at least KeySize bytes.
func NewSearcher(key []byte) (*Searcher, error) {
	if len(key) < KeySize {
		return nil, fmt.Errorf("pii: search key has %d bytes, want at least %d", len(key), KeySize)
	}
	return &Searcher{key: append([]byte(nil), key...)}, nil
}

// Hash returns the hex HMAC-SHA256 of kind, a zero byte and the normalised value
// (surrounding space trimmed, upper-cased, so "44010619900101123x" finds "…123X").
// kind ("id_number", "phone", …) separates the kinds, so equal strings of different
// kinds never match each other.
func (s *Searcher) Hash(kind, value string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil))
}
