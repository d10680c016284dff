package authkit

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Production argon2id parameters. RFC 9106 §4 recommends t=3 with 64 MiB of memory when
// 2 GiB per hash is too much (second recommended option); OWASP's 2023 guidance accepts
// m=19 MiB t=2 as a floor, so these stay well above it. Two lanes fit the small pods
// halls run in, and a hash takes roughly 50-100 ms there: unnoticed at login, but it
// makes an offline attack on a stolen users table expensive. Memory is what defeats GPU
// cracking, which is why it is the parameter set high.
const (
	ArgonMemoryKiB = 64 * 1024
	ArgonTime      = 3
	ArgonThreads   = 2
	ArgonSaltLen   = 16
	ArgonKeyLen    = 32
)

// Params are argon2id parameters. Memory is in KiB.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// ProductionParams are the parameters HashPassword uses unless changed.
var ProductionParams = Params{Memory: ArgonMemoryKiB, Time: ArgonTime, Threads: ArgonThreads, SaltLen: ArgonSaltLen, KeyLen: ArgonKeyLen}

// TestParams make a hash cost microseconds instead of tens of milliseconds, for tests
// and the demo, which create many users. They give no protection to a stolen hash:
// production must never use them.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: ArgonSaltLen, KeyLen: ArgonKeyLen}

// Limits on what an encoded hash may ask for, so a corrupted or hostile row cannot make
// a verify allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 16
	maxThreads   = 16
)

var hashParams atomic.Pointer[Params]

func init() { SetParams(ProductionParams) }

// SetParams changes the parameters of new hashes (and of DummyVerify) for the whole
// process. Existing hashes keep verifying; VerifyPassword reports them as needing a
// rehash. Only tests and the demo should call it, through SetTestParams.
func SetParams(p Params) {
	hashParams.Store(&p)
}

// SetTestParams switches the process to TestParams. Call it from TestMain or the demo
// set-up, never in production: hashes made with them are cheap to crack.
func SetTestParams() { SetParams(TestParams) }

// CurrentParams are the parameters new hashes are made with.
func CurrentParams() Params { return *hashParams.Load() }

// HashPassword hashes pw with argon2id and a fresh salt into the PHC string format
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash> (unpadded standard base64), so the
// parameters travel with each hash and can be raised later without breaking old ones.
func HashPassword(pw string) (string, error) {
	return hashWith(CurrentParams(), pw)
}

func hashWith(p Params, pw string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("authkit: hash password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformedHash is returned for a stored hash that is not an argon2id PHC string this
// package can verify. It says nothing about the password.
var ErrMalformedHash = errors.New("authkit: malformed password hash")

// VerifyPassword reports whether pw matches encoded, comparing in constant time.
// needsRehash is true when the hash was made with other parameters than the current
// ones: the caller then stores HashPassword(pw) while it holds the plaintext.
// A malformed hash is an error, never a match.
func VerifyPassword(encoded, pw string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	cur := CurrentParams()
	rehash := p.Memory != cur.Memory || p.Time != cur.Time || p.Threads != cur.Threads ||
		p.KeyLen != cur.KeyLen || p.SaltLen != cur.SaltLen
	return true, rehash, nil
}

// DummyVerify costs what a VerifyPassword with the current parameters costs. Login calls
// it when the username is unknown (or the account is locked), so the response time does
// not tell an attacker which usernames exist.
func DummyVerify() {
	p := CurrentParams()
	got := argon2.IDKey([]byte("tongban dummy password"), make([]byte, p.SaltLen), p.Time, p.Memory, p.Threads, p.KeyLen)
	subtle.ConstantTimeCompare(got, got)
}

func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", ErrMalformedHash)
	}
	var m, t, th uint64
	for i, kv := range strings.Split(parts[3], ",") {
		name, val, ok := strings.Cut(kv, "=")
		want := [...]string{"m", "t", "p"}
		if !ok || i >= len(want) || name != want[i] || val == "" || val[0] == '+' {
			return p, nil, nil, fmt.Errorf("%w: parameters", ErrMalformedHash)
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: parameters", ErrMalformedHash)
		}
		switch i {
		case 0:
			m = n
		case 1:
			t = n
		case 2:
			th = n
		}
	}
	if m == 0 || m > maxMemoryKiB || t == 0 || t > maxTime || th == 0 || th > maxThreads {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	if salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	if key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("%w: hash", ErrMalformedHash)
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}

// Password policy limits. Length is what makes a password hard to guess (NIST SP
// 800-63B); composition rules mostly produce "Password1!". The upper bound keeps a
// request from submitting megabytes to hash.
const (
	MinPasswordChars = 10
	MaxPasswordBytes = 1024
)

// PolicyError is a password refused by policy, with the reason in Chinese and English
// for the problem document.
type PolicyError struct{ ZH, EN string }

func (e *PolicyError) Error() string { return "authkit: " + e.EN }

// CheckPasswordPolicy refuses passwords shorter than MinPasswordChars characters (not
// bytes: 十个汉字 counts as ten) or longer than MaxPasswordBytes bytes, and invalid UTF-8.
func CheckPasswordPolicy(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return &PolicyError{ZH: "密码包含无效字符", EN: "password is not valid UTF-8"}
	case utf8.RuneCountInString(pw) < MinPasswordChars:
		return &PolicyError{
			ZH: fmt.Sprintf("密码至少需要 %d 个字符", MinPasswordChars),
			EN: fmt.Sprintf("password must have at least %d characters", MinPasswordChars),
		}
	case len(pw) > MaxPasswordBytes:
		return &PolicyError{
			ZH: fmt.Sprintf("密码不能超过 %d 字节", MaxPasswordBytes),
			EN: fmt.Sprintf("password must not exceed %d bytes", MaxPasswordBytes),
		}
	}
	return nil
}
