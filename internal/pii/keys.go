package pii

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// GenerateKey returns KeySize fresh random bytes, for a new data key or search key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k) // never fails: crypto/rand.Read aborts the program rather than return an error
	return k
}

// EncodeKey is the text form of a key used in specs and key files: standard base64.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// decodeKey accepts standard or URL-safe base64, padded or not, because keys get pasted
// through shells, YAML and secret managers that each prefer one form.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not valid base64")
}

// ParseKeys reads a key spec "id1:base64,id2:base64" as set in the environment.
// Errors name the entry by position and id but never include key material.
func ParseKeys(spec string) (map[string][]byte, error) {
	keys := map[string][]byte{}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("pii: key spec entry %d: want id:base64", i+1)
		}
		id = strings.TrimSpace(id)
		if err := checkKeyID(id); err != nil {
			return nil, fmt.Errorf("pii: key spec entry %d: %w", i+1, err)
		}
		key, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("pii: key spec entry %d (%q): key is not valid base64", i+1, id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("pii: key spec entry %d (%q): key has %d bytes, want %d", i+1, id, len(key), KeySize)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("pii: key spec entry %d: key id %q given twice", i+1, id)
		}
		keys[id] = key
	}
	if len(keys) == 0 {
		return nil, errors.New("pii: key spec holds no keys")
	}
	return keys, nil
}

// LoadAESKeyring builds the keyring of a node from the environment spec (see ParseKeys)
// and from files <dir>/<id>.key holding one base64 key each (a mounted secret: hidden
// entries such as Kubernetes' ..data are skipped). Either source may be empty; keys from
// both are combined, and an id in both must carry the same key. Keys are never read from
// the database.
func LoadAESKeyring(current, spec, dir string) (*AESKeyring, error) {
	keys := map[string][]byte{}
	if strings.TrimSpace(spec) != "" {
		k, err := ParseKeys(spec)
		if err != nil {
			return nil, err
		}
		keys = k
	}
	if dir != "" {
		if err := readKeyDir(dir, keys); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("pii: no data keys: set a key spec or a key directory")
	}
	return NewAESKeyring(current, keys)
}

func readKeyDir(dir string, keys map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pii: read key directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".key") {
			continue
		}
		id := strings.TrimSuffix(name, ".key")
		if err := checkKeyID(id); err != nil {
			return fmt.Errorf("pii: key file %s: %w", name, err)
		}
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("pii: read key file %s: %w", name, err)
		}
		key, err := decodeKey(string(body))
		if err != nil {
			return fmt.Errorf("pii: key file %s: key is not valid base64", name)
		}
		if len(key) != KeySize {
			return fmt.Errorf("pii: key file %s: key has %d bytes, want %d", name, len(key), KeySize)
		}
		if old, dup := keys[id]; dup && !bytes.Equal(old, key) {
			return fmt.Errorf("pii: key %q differs between the key spec and %s", id, name)
		}
		keys[id] = key
	}
	return nil
}
