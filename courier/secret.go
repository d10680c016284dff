package courier

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Secret is a credential (SF checkWord, EMS app secret, kuaidi100 key and salt). It
// never prints: fmt, JSON and slog all show it masked. Reveal is for the one place
// that signs with it.
type Secret string

const masked = "****"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return masked
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("courier.Secret(%q)", s.String()) }

// LogValue keeps slog from printing the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON keeps JSON dumps of configs free of secrets.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Reveal returns the secret itself, for signing.
func (s Secret) Reveal() string { return string(s) }

// SecretFromEnv reads a secret from the environment variable name, or from the file
// named by name+"_FILE" (as mounted by Docker or Kubernetes secrets), trimming a
// trailing newline. Setting both is an error, as is an unreadable file. An unset
// secret is the empty Secret.
func SecretFromEnv(name string) (Secret, error) {
	v, hasVal := os.LookupEnv(name)
	path, hasFile := os.LookupEnv(name + "_FILE")
	switch {
	case hasVal && hasFile:
		return "", fmt.Errorf("courier: read secret: both %s and %s_FILE are set", name, name)
	case hasFile:
		b, err := os.ReadFile(path)
		if err != nil {
			// The path is not secret; the content never appears in errors.
			return "", fmt.Errorf("courier: read secret %s_FILE: %w", name, err)
		}
		return Secret(strings.TrimRight(string(b), "\r\n")), nil
	}
	return Secret(v), nil
}
