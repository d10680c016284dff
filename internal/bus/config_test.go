package bus

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	scram := Config{Brokers: []string{"k1:9093"}, SASLMechanism: SASLScramSHA512, SASLUser: "hall", SASLPassword: "pw"}
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"plain mechanism", func(c *Config) { c.SASLMechanism = "PLAIN" }, "SASLMechanism"},
		{"lower-case mechanism", func(c *Config) { c.SASLMechanism = "scram-sha-256" }, "SASLMechanism"},
		{"no user", func(c *Config) { c.SASLUser = "" }, "SASLUser"},
		{"no password", func(c *Config) { c.SASLPassword = "" }, "SASLPassword"},
		{"broker without port", func(c *Config) { c.Brokers = []string{"nohost"} }, "Brokers"},
		{"broker port zero", func(c *Config) { c.Brokers = []string{"k1:0"} }, "Brokers"},
		{"CA without TLS", func(c *Config) { c.TLSCAFile = "/etc/ca.pem" }, "TLSCAFile"},
		{"insecure without TLS", func(c *Config) { c.TLSInsecureSkipVerify = true }, "TLSInsecureSkipVerify"},
		{"SASL with embedded broker", func(c *Config) { c.Brokers = nil }, "Brokers"},
		{"negative dial timeout", func(c *Config) { c.DialTimeout = -time.Second }, "DialTimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := scram
			tc.edit(&cfg)
			err := cfg.Validate()
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("Validate() = %v, want a ConfigError on %s", err, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "bus: "+tc.field+" ") || strings.Contains(err.Error(), "pw") {
				t.Fatalf("message %q should name %s and never the password", err, tc.field)
			}
		})
	}

	err := Config{SASLMechanism: "PLAIN", Brokers: []string{"k1:9093"}}.Validate()
	const want = `bus: SASLMechanism "PLAIN" not accepted; use "", "SCRAM-SHA-256" or "SCRAM-SHA-512"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	for _, ok := range []Config{{}, scram, {Brokers: []string{"[::1]:9092", "k2:9092"}, TLS: true, TLSCAFile: "/ca.pem"}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
}

func TestConfigStringMasksPassword(t *testing.T) {
	t.Parallel()
	s := Config{Brokers: []string{"k1:9093"}, SASLMechanism: SASLScramSHA256, SASLUser: "hall", SASLPassword: "hunter2"}.String()
	if strings.Contains(s, "hunter2") || !strings.Contains(s, `sasl_password="****"`) {
		t.Fatal(s)
	}
}

func TestBadConfigFailsOnUseNotOnBuild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bad := Config{Brokers: []string{"k1:9093"}, SASLMechanism: "PLAIN", SASLUser: "u", SASLPassword: "p"}

	w := NewWriter(bad)
	err := w.Publish(ctx, Message{Topic: "t", Value: []byte("v")})
	if err == nil || !strings.Contains(err.Error(), "bus: publish: bus: SASLMechanism") {
		t.Fatalf("Publish with a bad config: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	for _, r := range []*Reader{NewReader(bad, "g", "t"), NewReader(Config{}, "g", "t"), NewReader(Config{Brokers: []string{"k1:1"}}, "", "t")} {
		if _, err := r.Fetch(ctx); err == nil || !strings.HasPrefix(err.Error(), "bus: fetch: ") {
			t.Fatalf("Fetch with a bad reader: %v", err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTLSConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	ca := newTestCA(t)
	if err := os.WriteFile(caFile, ca.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Brokers: []string{"k1:9093"}, TLS: true, TLSCAFile: caFile}
	d, err := cfg.Dialer()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cfg.Transport()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []*tls.Config{d.TLS, tr.TLS} {
		if tc == nil || tc.MinVersion != tls.VersionTLS12 || tc.RootCAs == nil || tc.InsecureSkipVerify {
			t.Fatalf("tls config %+v", tc)
		}
	}

	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{junk, filepath.Join(dir, "missing.pem")} {
		cfg.TLSCAFile = file
		if _, err := cfg.Dialer(); err == nil {
			t.Errorf("CA file %s accepted", file)
		}
	}
}
