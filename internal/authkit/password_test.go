package authkit

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !phc.MatchString(h) {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	if h2, _ := HashPassword("correct horse battery"); h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
	ok, rehash, err := VerifyPassword(h, "correct horse battery")
	if !ok || rehash || err != nil {
		t.Errorf("right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	for _, wrong := range []string{"", "correct horse batter", "correct horse battery ", "Correct horse battery"} {
		if ok, _, err := VerifyPassword(h, wrong); ok || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v", wrong, ok, err)
		}
	}
}

func TestProductionParams(t *testing.T) {
	// Not parallel: one real-cost hash, and a known-good encoding.
	h, err := hashWith(ProductionParams, "密码密码密码密码密码")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("production hash %q has unexpected parameters", h)
	}
	// Under the test parameters an old production hash still verifies and asks for a rehash.
	ok, rehash, err := VerifyPassword(h, "密码密码密码密码密码")
	if !ok || !rehash || err != nil {
		t.Errorf("ok=%v rehash=%v err=%v; want true true nil", ok, rehash, err)
	}
}

func TestKnownVector(t *testing.T) {
	t.Parallel()
	// From the test vectors of the reference implementation (phc-winner-argon2, src/test.c).
	const ref = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, _, err := VerifyPassword(ref, "password")
	if !ok || err != nil {
		t.Errorf("reference vector: ok=%v err=%v", ok, err)
	}
}

func TestMalformedHashes(t *testing.T) {
	t.Parallel()
	good, _ := HashPassword("0123456789")
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	cases := []string{
		"", "$", "plain", "$2a$10$abcdefghijklmnopqrstuv", // bcrypt
		with(1, "argon2i"),
		with(2, "v=16"),
		with(3, "m=0,t=1,p=1"),
		with(3, "m=64,t=0,p=1"),
		with(3, "m=64,t=1,p=0"),
		with(3, "m=99999999,t=1,p=1"),
		with(3, "m=64,t=99,p=1"),
		with(3, "m=64,t=1,p=255"),
		with(3, "t=1,m=64,p=1"),
		with(3, "m=64,t=1"),
		with(3, "m=64,t=1,p=1,x=2"),
		with(3, "m=+64,t=1,p=1"),
		with(3, "m=-1,t=1,p=1"),
		with(4, "!!!!"),
		with(4, "YQ"),
		with(5, "YQ"),
		with(5, parts[5]+"="),
		good + "$",
	}
	for _, enc := range cases {
		ok, _, err := VerifyPassword(enc, "0123456789")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v; want ErrMalformedHash", enc, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789") {
			t.Errorf("error %q contains the password", err)
		}
	}
}

func TestDummyVerify(t *testing.T) {
	t.Parallel()
	DummyVerify() // must not panic with any parameters; its cost is measured in BenchmarkDummyVerify
}

func BenchmarkVerifyVsDummy(b *testing.B) {
	SetParams(ProductionParams)
	defer SetTestParams()
	h, _ := HashPassword("0123456789")
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			VerifyPassword(h, "wrong password")
		}
	})
	b.Run("dummy", func(b *testing.B) {
		for b.Loop() {
			DummyVerify()
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"123456789", false},
		{"1234567890", true},
		{"九个汉字九个汉字九", false},
		{"十个汉字十个汉字十个", true},
		{strings.Repeat("a", MaxPasswordBytes), true},
		{strings.Repeat("a", MaxPasswordBytes+1), false},
		{"abcdefghij\xff", false},
	}
	for _, c := range cases {
		err := CheckPasswordPolicy(c.pw)
		if (err == nil) != c.ok {
			t.Errorf("CheckPasswordPolicy(%q) = %v, want ok=%v", c.pw, err, c.ok)
			continue
		}
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.ZH == "" || pe.EN == "" || !strings.HasPrefix(err.Error(), "authkit: ") {
				t.Errorf("error %#v is not a bilingual *PolicyError", err)
			}
			if len(c.pw) > 3 && strings.Contains(err.Error()+pe.ZH, c.pw) {
				t.Errorf("error repeats the password")
			}
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, _ := HashPassword("0123456789")
	f.Add(good, "0123456789")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "x")
	f.Add("$argon2id$v=19$m=,t=,p=$$", "")
	f.Add("$$$$$$$", "")
	f.Fuzz(func(t *testing.T, enc, pw string) {
		// Keep each execution cheap: a well-formed but costly hash is not what this tests.
		if p, _, _, err := decodeHash(enc); err == nil && (p.Memory > 1024 || p.Time > 2) {
			t.Skip()
		}
		ok, _, err := VerifyPassword(enc, pw)
		if ok && err != nil {
			t.Fatal("ok with an error")
		}
		if err != nil && !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

func ExampleVerifyPassword() {
	h, _ := HashPassword("correct horse battery")
	ok, needsRehash, err := VerifyPassword(h, "correct horse battery")
	fmt.Println(ok, needsRehash, err)
	// Output: true false <nil>
}
