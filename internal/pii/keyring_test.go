package pii

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKeyring(t *testing.T, current string, ids ...string) (*AESKeyring, map[string][]byte) {
	t.Helper()
	keys := map[string][]byte{}
	for _, id := range ids {
		keys[id] = GenerateKey()
	}
	k, err := NewAESKeyring(current, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k, keys
}

func TestKeyringRoundTrip(t *testing.T) {
	t.Parallel()
	k, _ := mustKeyring(t, "k1", "k1")
	for _, pt := range [][]byte{nil, []byte("440106199001011234"), bytes.Repeat([]byte("广州市天河区"), 100)} {
		id, ct, err := k.Seal(pt, []byte("case-1"))
		if err != nil {
			t.Fatal(err)
		}
		if id != "k1" {
			t.Errorf("key id %q, want k1", id)
		}
		if len(pt) > 0 && bytes.Contains(ct, pt) {
			t.Error("ciphertext contains the plaintext")
		}
		got, err := k.Open(id, ct, []byte("case-1"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
}

func TestKeyringNoncesDiffer(t *testing.T) {
	t.Parallel()
	k, _ := mustKeyring(t, "k1", "k1")
	_, a, _ := k.Seal([]byte("same"), nil)
	_, b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same value are equal: nonce reused")
	}
}

func TestKeyringRotation(t *testing.T) {
	t.Parallel()
	old, keys := mustKeyring(t, "2025", "2025")
	_, oldCT, err := old.Seal([]byte("13800138000"), []byte("c"))
	if err != nil {
		t.Fatal(err)
	}
	keys["2026"] = GenerateKey()
	rotated, err := NewAESKeyring("2026", keys)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open("2025", oldCT, []byte("c")); err != nil || string(got) != "13800138000" {
		t.Fatalf("old key after rotation: %q, %v", got, err)
	}
	id, newCT, err := rotated.Seal([]byte("x"), nil)
	if err != nil || id != "2026" {
		t.Fatalf("Seal after rotation used %q (%v), want 2026", id, err)
	}
	if _, err := old.Open(id, newCT, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old ring opening a new-key value: %v, want ErrUnknownKey", err)
	}
	if got := rotated.KeyIDs(); strings.Join(got, ",") != "2025,2026" {
		t.Errorf("KeyIDs = %v", got)
	}
}

func TestKeyringRejects(t *testing.T) {
	t.Parallel()
	k, _ := mustKeyring(t, "a", "a", "b")
	id, ct, _ := k.Seal([]byte("secret"), []byte("case-1"))
	flip := func(i int) []byte { c := bytes.Clone(ct); c[i] ^= 1; return c }
	cases := []struct {
		name string
		id   string
		ct   []byte
		aad  string
		want error
	}{
		{"wrong aad", id, ct, "case-2", ErrDecrypt},
		{"no aad", id, ct, "", ErrDecrypt},
		{"tampered nonce", id, flip(0), "case-1", ErrDecrypt},
		{"tampered body", id, flip(nonceSize), "case-1", ErrDecrypt},
		{"tampered tag", id, flip(len(ct) - 1), "case-1", ErrDecrypt},
		{"truncated", id, ct[:nonceSize+15], "case-1", ErrDecrypt},
		{"empty", id, nil, "case-1", ErrDecrypt},
		{"other key id", "b", ct, "case-1", ErrDecrypt},
		{"unknown key id", "zz", ct, "case-1", ErrUnknownKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := k.Open(c.id, c.ct, []byte(c.aad))
			if !errors.Is(err, c.want) || got != nil {
				t.Errorf("Open = %q, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestNewAESKeyringErrors(t *testing.T) {
	t.Parallel()
	good := GenerateKey()
	cases := map[string]struct {
		current string
		keys    map[string][]byte
	}{
		"no keys":         {"a", nil},
		"current missing": {"b", map[string][]byte{"a": good}},
		"short key":       {"a", map[string][]byte{"a": good[:16]}},
		"bad id":          {"a/b", map[string][]byte{"a/b": good}},
	}
	for name, c := range cases {
		_, err := NewAESKeyring(c.current, c.keys)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		assertNoKeyMaterial(t, err, good)
	}
}

// assertNoKeyMaterial fails if err's text contains any encoding of key, or a long piece of it.
func assertNoKeyMaterial(t *testing.T, err error, key []byte) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, "pii: ") {
		t.Errorf("error %q lacks the pii: prefix", msg)
	}
	enc := EncodeKey(key)
	for i := 0; i+8 <= len(enc); i++ {
		if strings.Contains(msg, enc[i:i+8]) {
			t.Fatalf("error %q contains key material", msg)
		}
	}
	if bytes.Contains([]byte(msg), key[:8]) {
		t.Fatalf("error %q contains raw key bytes", msg)
	}
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	k1, k2 := GenerateKey(), GenerateKey()
	spec := " k1:" + EncodeKey(k1) + " , k2:" + strings.TrimRight(EncodeKey(k2), "=") + ","
	keys, err := ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !bytes.Equal(keys["k1"], k1) || !bytes.Equal(keys["k2"], k2) {
		t.Errorf("ParseKeys = %v", keys)
	}
}

func TestParseKeysErrorsHideKeys(t *testing.T) {
	t.Parallel()
	key := GenerateKey()
	b64 := EncodeKey(key)
	short := EncodeKey(key[:20])
	cases := map[string]string{
		"empty":            "",
		"no colon":         b64,
		"key as id":        b64 + ":" + b64,
		"bad base64":       "k1:" + b64[:10] + "!!" + b64[12:],
		"short key":        "k1:" + short,
		"long key":         "k1:" + EncodeKey(append(bytes.Clone(key), key...)),
		"duplicate id":     "k1:" + b64 + ",k1:" + b64,
		"empty id":         ":" + b64,
		"id with slash":    "../x:" + b64,
		"two entries, bad": "k1:" + b64 + ",k2:" + short,
	}
	for name, spec := range cases {
		_, err := ParseKeys(spec)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		assertNoKeyMaterial(t, err, key)
	}
}

func TestLoadAESKeyring(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, k2 := GenerateKey(), GenerateKey()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("k2.key", EncodeKey(k2)+"\n")
	write("README", "not a key")
	os.Mkdir(filepath.Join(dir, "..data"), 0o700)

	ring, err := LoadAESKeyring("k2", "k1:"+EncodeKey(k1), dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ring.KeyIDs(), ",") != "k1,k2" || ring.Current() != "k2" {
		t.Errorf("keys %v current %s", ring.KeyIDs(), ring.Current())
	}
	fromFiles, err := LoadAESKeyring("k2", "", dir)
	if err != nil {
		t.Fatal(err)
	}
	_, ct, _ := fromFiles.Seal([]byte("x"), nil)
	if got, err := ring.Open("k2", ct, nil); err != nil || string(got) != "x" {
		t.Errorf("file key and combined ring disagree: %q %v", got, err)
	}

	if _, err := LoadAESKeyring("k1", "", ""); err == nil {
		t.Error("no sources: no error")
	}
	if _, err := LoadAESKeyring("k1", "", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing dir: no error")
	}
	_, err = LoadAESKeyring("k2", "k2:"+EncodeKey(k1), dir)
	if err == nil {
		t.Error("conflicting key: no error")
	} else {
		assertNoKeyMaterial(t, err, k1)
		assertNoKeyMaterial(t, err, k2)
	}
	write("k3.key", EncodeKey(k1[:31]))
	if _, err := LoadAESKeyring("k2", "", dir); err == nil {
		t.Error("short key file: no error")
	} else {
		assertNoKeyMaterial(t, err, k1)
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, b := GenerateKey(), GenerateKey()
	if len(a) != KeySize || bytes.Equal(a, b) {
		t.Errorf("GenerateKey: len %d, equal %v", len(a), bytes.Equal(a, b))
	}
}
