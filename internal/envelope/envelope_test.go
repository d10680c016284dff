package envelope

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func pair(t testing.TB) (*Keyring, *Keyring) {
	_, pa, _ := ed25519.GenerateKey(rand.Reader)
	_, pb, _ := ed25519.GenerateKey(rand.Reader)
	a, b := NewKeyring("440100", pa), NewKeyring("440600", pb)
	a.Trust("440600", pb.Public().(ed25519.PublicKey))
	b.Trust("440100", pa.Public().(ed25519.PublicKey))
	return a, b
}

func sample() Envelope {
	return Envelope{ID: "0190f5a0-0000-7000-8000-000000000001", Type: "case.accepted", Schema: 1, From: "440100", To: "440600",
		CaseID: "0190f5a0-0000-7000-8000-000000000002", Seq: 1, At: time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC),
		Payload: json.RawMessage(`{"actor":"x"}`)}
}

func TestSealOpenRoundTrip(t *testing.T) {
	a, b := pair(t)
	v, h, err := a.Seal(sample())
	if err != nil {
		t.Fatal(err)
	}
	env, err := b.Open(v, h)
	if err != nil || env.Seq != 1 || env.From != "440100" {
		t.Fatalf("Open = %+v, %v", env, err)
	}
	v[len(v)-2] ^= 1
	var rej *Rejection
	if _, err := b.Open(v, h); !errors.As(err, &rej) || rej.Reason != ReasonBadSignature {
		t.Fatalf("tampered value: %v", err)
	}
	wrong := sample()
	wrong.To = "441900"
	v, h, _ = a.Seal(wrong)
	if _, err := b.Open(v, h); !errors.As(err, &rej) || rej.Reason != ReasonWrongHall {
		t.Fatalf("wrong recipient: %v", err)
	}
	spoof := sample()
	spoof.From = "440300" // signed by Guangzhou's key, claims Shenzhen
	v, h, _ = a.Seal(spoof)
	if _, err := b.Open(v, h); !errors.As(err, &rej) || rej.Reason != ReasonBadSignature {
		t.Fatalf("spoofed sender: %v", err)
	}
}

// FuzzOpen feeds arbitrary values and headers to the receiver's first check: it must
// never panic and never accept anything not signed by a partner.
func FuzzOpen(f *testing.F) {
	a, b := pair(f)
	v, h, _ := a.Seal(sample())
	f.Add(v, h[HeaderSig], h[HeaderKey])
	f.Add([]byte(`{"from":"440100"}`), "", h[HeaderKey])
	f.Add([]byte(`not json`), "AAAA", "")
	f.Fuzz(func(t *testing.T, value []byte, sig, key string) {
		env, err := b.Open(value, map[string]string{HeaderSig: sig, HeaderKey: key})
		if err == nil && (env.From != "440100" || env.To != "440600") {
			t.Fatalf("accepted an envelope from %q to %q", env.From, env.To)
		}
	})
}
