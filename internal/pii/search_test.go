package pii

import (
	"encoding/hex"
	"testing"
)

func TestSearcher(t *testing.T) {
	t.Parallel()
	s, err := NewSearcher(GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	h := s.Hash("id_number", "44010619900101123X")
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		t.Fatalf("Hash = %q, want 64 hex digits", h)
	}
	if got := s.Hash("id_number", "  44010619900101123x\n"); got != h {
		t.Error("normalisation: trimmed lower-case value hashes differently")
	}
	if s.Hash("phone", "44010619900101123X") == h {
		t.Error("kinds are not separated")
	}
	if s.Hash("id_numbe", "r44010619900101123X") == h {
		t.Error("kind and value boundary is ambiguous")
	}
	other, _ := NewSearcher(GenerateKey())
	if other.Hash("id_number", "44010619900101123X") == h {
		t.Error("hash does not depend on the key")
	}
	if _, err := NewSearcher(make([]byte, 16)); err == nil {
		t.Error("short key accepted")
	}
}

func TestSearcherKnownAnswer(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256 with a key of 32 zero bytes over "phone\x00ABC", computed independently
	// (python3 -c 'import hmac,hashlib;print(hmac.new(bytes(32),b"phone\0ABC",hashlib.sha256).hexdigest())').
	s, _ := NewSearcher(make([]byte, 32))
	if got, want := s.Hash("phone", " abc "), knownPhoneABC; got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
}

const knownPhoneABC = "77c11b7ad637bc0ce99b99aaf0083dca37bb3ee0eb23ed36d8d76a3fc76a812b"
