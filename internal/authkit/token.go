package authkit

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Tokens look like "<prefix>_<id>_<secret>": the prefix ("tbk") says what the string is,
// so secret scanners can find leaked tokens; the id is public, shown in listings and
// used to revoke; the secret carries 256 random bits. Only HashToken(token) is stored,
// so a leaked table does not yield usable tokens. SHA-256 suffices (no argon2) because
// the token is random, not chosen by a person.
const (
	tokenIDBytes     = 8  // 16 hex digits
	tokenSecretBytes = 32 // 52 base32 characters
)

// tokenB32 is lower-case base32: no '_' (the separator) or '-', so the secret can be
// split off unambiguously and survives double-click selection and URLs.
var tokenB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never returns an error; it aborts the program instead
	return b
}

// NewToken returns a new API token with prefix, its public id and the hash to store.
// The prefix is chosen by code, not users; it may contain any characters but should be
// short letters such as "tbk".
func NewToken(prefix string) (token, id, hash string) {
	id = hex.EncodeToString(randomBytes(tokenIDBytes))
	secret := b32Encode(randomBytes(tokenSecretBytes))
	token = prefix + "_" + id + "_" + secret
	return token, id, HashToken(token)
}

// HashToken is the hex SHA-256 of the whole token (or session id), the form stored and
// looked up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenID extracts the public id of a token made by NewToken, so a request can be
// matched to its row (and the row's stored hash compared) and logged by id. ok is false
// for a string that does not have the token's shape.
func TokenID(token string) (string, bool) {
	i := strings.LastIndexByte(token, '_')
	if i < 0 {
		return "", false
	}
	rest, secret := token[:i], token[i+1:]
	j := strings.LastIndexByte(rest, '_')
	if j < 0 {
		return "", false
	}
	id := rest[j+1:]
	if len(id) != 2*tokenIDBytes || !isLowerHex(id) || len(secret) != b32Len(tokenSecretBytes) || !isB32(secret) {
		return "", false
	}
	return id, true
}

// NewSessionID returns a session id for the cookie (256 random bits, URL-safe) and its
// hash to store, so a read of the sessions table cannot hijack sessions.
func NewSessionID() (id, hash string) {
	id = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	return id, HashToken(id)
}

// NewCSRFToken returns a random token for a form or the double-submit cookie.
func NewCSRFToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// EqualTokens compares two secrets in time independent of their contents (both are
// hashed first, so not even the length of a common prefix shows). Empty never equals
// anything: a missing CSRF cookie and a missing form field must not match.
func EqualTokens(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

func b32Encode(b []byte) string { return tokenB32.EncodeToString(b) }

func b32Len(n int) int { return tokenB32.EncodedLen(n) }

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isB32(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
