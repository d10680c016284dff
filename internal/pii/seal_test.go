package pii

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
)

func newHall(t testing.TB) *Sealer {
	t.Helper()
	k, err := GenerateX25519()
	if err != nil {
		t.Fatal(err)
	}
	return NewSealer(k)
}

func sealFor(t testing.TB, to *Sealer, pt, aad string) Sealed {
	t.Helper()
	pub, err := ParseX25519Public(to.Public())
	if err != nil {
		t.Fatal(err)
	}
	s, err := SealFor(pub, []byte(pt), []byte(aad))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	b := newHall(t)
	s := sealFor(t, b, `{"id_number":"440106199001011234"}`, "case-1")
	// Through JSON, as it travels in a payload.
	raw, _ := json.Marshal(s)
	if bytes.Contains(raw, []byte("4401061990")) {
		t.Fatal("sealed JSON contains the plaintext")
	}
	var back Sealed
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	got, err := b.Open(back, []byte("case-1"))
	if err != nil || string(got) != `{"id_number":"440106199001011234"}` {
		t.Fatalf("Open = %q, %v", got, err)
	}
	var fields map[string]string
	json.Unmarshal(raw, &fields)
	for _, f := range []string{"epk", "n", "ct"} {
		if fields[f] == "" {
			t.Errorf("JSON field %q missing in %s", f, raw)
		}
	}
}

func TestSealFreshEphemeral(t *testing.T) {
	t.Parallel()
	b := newHall(t)
	x, y := sealFor(t, b, "same", "c"), sealFor(t, b, "same", "c")
	if x.EphemeralPub == y.EphemeralPub || x.Ciphertext == y.Ciphertext {
		t.Error("two seals share an ephemeral key or ciphertext")
	}
}

func TestSealRejects(t *testing.T) {
	t.Parallel()
	b, c := newHall(t), newHall(t)
	s := sealFor(t, b, "13800138000", "case-1")
	tamper := func(field *string) Sealed {
		out := s
		raw, _ := base64.StdEncoding.DecodeString(*field)
		raw[len(raw)-1] ^= 0x80
		enc := base64.StdEncoding.EncodeToString(raw)
		switch field {
		case &s.EphemeralPub:
			out.EphemeralPub = enc
		case &s.Nonce:
			out.Nonce = enc
		case &s.Ciphertext:
			out.Ciphertext = enc
		}
		return out
	}
	cases := []struct {
		name   string
		opener *Sealer
		s      Sealed
		aad    string
	}{
		{"wrong recipient", c, s, "case-1"},
		{"wrong aad", b, s, "case-2"},
		{"tampered ciphertext", b, tamper(&s.Ciphertext), "case-1"},
		{"tampered nonce", b, tamper(&s.Nonce), "case-1"},
		// X25519 ignores the top bit of the last byte, so this flip leaves the shared
		// secret unchanged: only the epk in the HKDF salt makes it fail, as it must.
		{"tampered ephemeral key", b, tamper(&s.EphemeralPub), "case-1"},
		{"empty", b, Sealed{}, "case-1"},
		{"not base64", b, Sealed{EphemeralPub: "!!", Nonce: s.Nonce, Ciphertext: s.Ciphertext}, "case-1"},
		{"short nonce", b, Sealed{EphemeralPub: s.EphemeralPub, Nonce: "AAAA", Ciphertext: s.Ciphertext}, "case-1"},
		{"low-order point", b, Sealed{EphemeralPub: base64.StdEncoding.EncodeToString(make([]byte, 32)), Nonce: s.Nonce, Ciphertext: s.Ciphertext}, "case-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opener.Open(tc.s, []byte(tc.aad))
			if !errors.Is(err, ErrDecrypt) || got != nil {
				t.Errorf("Open = %q, %v; want ErrDecrypt", got, err)
			}
		})
	}
}

func TestX25519KeyText(t *testing.T) {
	t.Parallel()
	k, _ := GenerateX25519()
	text := EncodeX25519Private(k)
	back, err := ParseX25519Private(text)
	if err != nil || !back.Equal(k) {
		t.Fatalf("private key round trip: %v", err)
	}
	if NewSealer(back).Public() != EncodeX25519Public(k.PublicKey()) {
		t.Error("Public() differs from the encoded public key")
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString(make([]byte, 31)), text + text} {
		if _, err := ParseX25519Private(bad); err == nil {
			t.Errorf("ParseX25519Private(%q) accepted", bad)
		} else {
			assertNoKeyMaterial(t, err, k.Bytes())
		}
		if _, err := ParseX25519Public(bad); err == nil {
			t.Errorf("ParseX25519Public(%q) accepted", bad)
		}
	}
	if _, err := SealFor(nil, []byte("x"), nil); err == nil {
		t.Error("SealFor(nil) accepted")
	}
}

// FuzzOpen feeds arbitrary input to both openers: outside input (a message payload, a
// database row) must never make them panic or succeed without the key.
func FuzzOpen(f *testing.F) {
	ringKey := bytes.Repeat([]byte{7}, KeySize)
	ring, err := NewAESKeyring("k1", map[string][]byte{"k1": ringKey})
	if err != nil {
		f.Fatal(err)
	}
	hall := newHall(f)
	pub, _ := ParseX25519Public(hall.Public())
	_, ct, _ := ring.Seal([]byte("440106199001011234"), []byte("case-1"))
	s, _ := SealFor(pub, []byte("13800138000"), []byte("case-1"))
	f.Add("k1", ct, []byte("case-1"), s.EphemeralPub, s.Nonce, s.Ciphertext)
	f.Add("k2", []byte{}, []byte{}, "", "", "")
	f.Add("k1", ct[:5], []byte("case-1"), "AAAA", "AAAAAAAAAAAAAAAA", "A")
	f.Fuzz(func(t *testing.T, keyID string, ct, aad []byte, epk, nonce, sct string) {
		if _, err := ring.Open(keyID, ct, aad); err != nil && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrUnknownKey) {
			t.Errorf("keyring Open: unexpected error %v", err)
		}
		if _, err := hall.Open(Sealed{EphemeralPub: epk, Nonce: nonce, Ciphertext: sct}, aad); err != nil && !errors.Is(err, ErrDecrypt) {
			t.Errorf("sealer Open: unexpected error %v", err)
		}
	})
}
