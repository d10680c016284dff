package authkit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

// TOTP as in RFC 6238 with the parameters every authenticator app supports: HMAC-SHA1
// (weak as a hash, but HMAC-SHA1 is still sound as a PRF), 30-second steps, 6 digits.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// totpSkew is how many steps either side of now are accepted, for clock drift and
	// the time it takes to type the code.
	totpSkew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrBadTOTPSecret is a secret that is not base32.
var ErrBadTOTPSecret = errors.New("authkit: TOTP secret is not valid base32")

// NewTOTPSecret returns a fresh 160-bit secret (the HMAC-SHA1 block-size-friendly length
// RFC 4226 recommends) in unpadded base32, as authenticator apps expect. Store it
// encrypted (pii.Cipher): unlike a password it must be readable to verify codes.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return b32.EncodeToString(b)
}

func decodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.TrimRight(strings.ReplaceAll(secret, " ", ""), "="))
	k, err := b32.DecodeString(s)
	if err != nil || len(k) == 0 {
		return nil, ErrBadTOTPSecret
	}
	return k, nil
}

// TOTPCode is the 6-digit code for secret at t.
func TOTPCode(secret string, t time.Time) (string, error) {
	k, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(sha1.New, k, totpStep(t), TOTPDigits), nil
}

// VerifyTOTP reports whether code is the code of secret at t or one step either side.
// See VerifyTOTPStep to refuse a code used twice.
func VerifyTOTP(secret, code string, t time.Time) bool {
	_, ok := VerifyTOTPStep(secret, code, t)
	return ok
}

// VerifyTOTPStep is VerifyTOTP that also returns the time step the code belongs to. A
// code stays valid for up to 90 seconds, so someone watching over a shoulder could reuse
// it: the caller stores the step of the last accepted code per user and refuses any
// step not greater than it (RFC 6238 §5.2).
//
// Every candidate step is computed and compared in constant time, so timing does not
// tell which one matched.
func VerifyTOTPStep(secret, code string, t time.Time) (step int64, ok bool) {
	k, err := decodeTOTPSecret(secret)
	if err != nil || len(code) != TOTPDigits {
		return 0, false
	}
	now := totpStep(t)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := now + uint64(d)
		if subtle.ConstantTimeCompare([]byte(hotp(sha1.New, k, s, TOTPDigits)), []byte(code)) == 1 && !ok {
			step, ok = int64(s), true
		}
	}
	return step, ok
}

func totpStep(t time.Time) uint64 {
	return uint64(t.Unix() / int64(TOTPPeriod/time.Second))
}

// hotp is RFC 4226 with dynamic truncation; digits and hash are parameters so the RFC
// 6238 test vectors (8 digits, SHA-1/256/512) can be checked.
func hotp(h func() hash.Hash, key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(h, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTPURI is the otpauth:// URI an authenticator app reads from a QR code
// (the Key Uri Format of Google Authenticator), e.g. issuer "通办 440100".
func TOTPURI(issuer, account, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(TOTPDigits))
	q.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}
