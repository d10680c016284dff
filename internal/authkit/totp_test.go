package authkit

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"net/url"
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B: 8 digits, ASCII seeds per hash.
func TestRFC6238Vectors(t *testing.T) {
	t.Parallel()
	seeds := map[string]struct {
		h   func() hash.Hash
		key string
	}{
		"SHA1":   {sha1.New, "12345678901234567890"},
		"SHA256": {sha256.New, "12345678901234567890123456789012"},
		"SHA512": {sha512.New, "1234567890123456789012345678901234567890123456789012345678901234"},
	}
	vectors := []struct {
		unix int64
		want map[string]string
	}{
		{59, map[string]string{"SHA1": "94287082", "SHA256": "46119246", "SHA512": "90693936"}},
		{1111111109, map[string]string{"SHA1": "07081804", "SHA256": "68084774", "SHA512": "25091201"}},
		{1111111111, map[string]string{"SHA1": "14050471", "SHA256": "67062674", "SHA512": "99943326"}},
		{1234567890, map[string]string{"SHA1": "89005924", "SHA256": "91819424", "SHA512": "93441116"}},
		{2000000000, map[string]string{"SHA1": "69279037", "SHA256": "90698825", "SHA512": "38618901"}},
		{20000000000, map[string]string{"SHA1": "65353130", "SHA256": "77737706", "SHA512": "47863826"}},
	}
	for _, v := range vectors {
		for name, s := range seeds {
			got := hotp(s.h, []byte(s.key), totpStep(time.Unix(v.unix, 0)), 8)
			if got != v.want[name] {
				t.Errorf("%s at %d: %s, want %s", name, v.unix, got, v.want[name])
			}
		}
		// The public 6-digit API gives the last six digits of the SHA-1 vector.
		secret := b32.EncodeToString([]byte(seeds["SHA1"].key))
		code, err := TOTPCode(secret, time.Unix(v.unix, 0))
		if err != nil || code != v.want["SHA1"][2:] {
			t.Errorf("TOTPCode at %d = %q, %v; want %s", v.unix, code, err, v.want["SHA1"][2:])
		}
	}
}

func TestVerifyTOTPWindow(t *testing.T) {
	t.Parallel()
	secret := NewTOTPSecret()
	if len(secret) != 32 || strings.Contains(secret, "=") {
		t.Fatalf("secret %q: want 32 base32 characters, unpadded", secret)
	}
	t0 := time.Unix(1_750_000_040, 0) // 20 s into a step
	code, _ := TOTPCode(secret, t0)
	for _, c := range []struct {
		d  time.Duration
		ok bool
	}{
		{0, true}, {-30 * time.Second, true}, {30 * time.Second, true}, {39 * time.Second, true},
		{-50 * time.Second, true}, {-51 * time.Second, false}, {40 * time.Second, false},
		{10 * time.Minute, false},
	} {
		if got := VerifyTOTP(secret, code, t0.Add(c.d)); got != c.ok {
			t.Errorf("code checked %v later: %v, want %v", c.d, got, c.ok)
		}
	}
	step, ok := VerifyTOTPStep(secret, code, t0.Add(30*time.Second))
	if !ok || step != t0.Unix()/30 {
		t.Errorf("VerifyTOTPStep = %d, %v; want the step of the code %d", step, ok, t0.Unix()/30)
	}
	lower := strings.ToLower(secret[:4]) + " " + secret[4:]
	if !VerifyTOTP(lower, code, t0) {
		t.Error("secret typed in lower case with a space is not accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", code + " "} {
		if VerifyTOTP(secret, bad, t0) {
			t.Errorf("code %q accepted", bad)
		}
	}
	if VerifyTOTP("not base32!", code, t0) {
		t.Error("bad secret accepted")
	}
	if _, err := TOTPCode("1", t0); err == nil {
		t.Error("TOTPCode with a bad secret: no error")
	}
}

func TestTOTPURI(t *testing.T) {
	t.Parallel()
	uri := TOTPURI("通办 440100", "li.si@440100", "JBSWY3DPEHPK3PXP")
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/通办 440100:li.si@440100" {
		t.Errorf("URI %s: scheme %q host %q path %q", uri, u.Scheme, u.Host, u.Path)
	}
	q := u.Query()
	if q.Get("secret") != "JBSWY3DPEHPK3PXP" || q.Get("issuer") != "通办 440100" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("query %v", q)
	}
	if strings.Contains(uri, " ") {
		t.Errorf("URI %q is not escaped", uri)
	}
}
