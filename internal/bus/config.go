package bus

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Accepted values of Config.SASLMechanism. PLAIN is deliberately absent: it
// sends the password itself, and the halls' Kafka operators are a third party.
const (
	SASLNone        = ""
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Defaults applied when a Config field is left zero.
const (
	DefaultClientID    = "tongban"
	DefaultDialTimeout = 10 * time.Second
)

// Config is how a node reaches the Kafka cluster. The zero value is valid and
// means "no cluster yet": see Resolve, which starts an embedded broker then.
type Config struct {
	// Brokers are the bootstrap host:port pairs. Empty means the node starts
	// an embedded broker on loopback (demos and tests; it keeps nothing).
	Brokers []string
	// ClientID names this node in broker logs and quotas. Default "tongban".
	ClientID string
	// SASLMechanism is "", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	SASLMechanism string
	// SASLUser and SASLPassword are required when SASLMechanism is set.
	SASLUser     string
	SASLPassword string
	// TLS turns on TLS (1.2 or newer) to the brokers.
	TLS bool
	// TLSCAFile is a PEM bundle of the CA that signed the brokers'
	// certificates; empty trusts the system roots.
	TLSCAFile string
	// TLSInsecureSkipVerify disables certificate checks. Only for a test
	// cluster with throwaway certificates; never for real halls.
	TLSInsecureSkipVerify bool
	// DialTimeout bounds one TCP (and TLS and SASL) connection set-up.
	// Default 10s.
	DialTimeout time.Duration
}

// ConfigError names the Config field that was refused, the value found and the
// values that would be accepted, so an operator can fix the setting from the
// message alone.
type ConfigError struct {
	Field    string
	Value    string
	Accepted string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("bus: %s %q not accepted; use %s", e.Field, e.Value, e.Accepted)
}

// Validate checks the Config without touching the network. The error is a
// *ConfigError naming the first bad field.
func (c Config) Validate() error {
	for _, b := range c.Brokers {
		if !validHostPort(b) {
			return &ConfigError{"Brokers", b, "host:port pairs such as kafka-1.example:9093"}
		}
	}
	switch c.SASLMechanism {
	case SASLNone, SASLScramSHA256, SASLScramSHA512:
	default:
		return &ConfigError{"SASLMechanism", c.SASLMechanism, `"", "SCRAM-SHA-256" or "SCRAM-SHA-512"`}
	}
	if c.SASLMechanism != SASLNone {
		if c.SASLUser == "" {
			return &ConfigError{"SASLUser", c.SASLUser, "a user name when SASLMechanism is set"}
		}
		if c.SASLPassword == "" {
			return &ConfigError{"SASLPassword", "", "a password when SASLMechanism is set"}
		}
	}
	if !c.TLS && c.TLSCAFile != "" {
		return &ConfigError{"TLSCAFile", c.TLSCAFile, "an empty value, or set TLS to true"}
	}
	if !c.TLS && c.TLSInsecureSkipVerify {
		return &ConfigError{"TLSInsecureSkipVerify", "true", "false, or set TLS to true"}
	}
	if len(c.Brokers) == 0 && (c.SASLMechanism != SASLNone || c.TLS) {
		// The embedded broker speaks neither; silently dropping the security
		// settings would hide a missing TONGBAN_KAFKA_BROKERS.
		return &ConfigError{"Brokers", "", "at least one host:port when SASL or TLS is set (the embedded broker has neither)"}
	}
	if c.DialTimeout < 0 {
		return &ConfigError{"DialTimeout", c.DialTimeout.String(), "a positive duration, or 0 for the default 10s"}
	}
	return nil
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

func (c Config) clientID() string {
	if c.ClientID == "" {
		return DefaultClientID
	}
	return c.ClientID
}

func (c Config) dialTimeout() time.Duration {
	if c.DialTimeout <= 0 {
		return DefaultDialTimeout
	}
	return c.DialTimeout
}

// String prints the Config for start-up logs with the password masked.
func (c Config) String() string {
	pw := ""
	if c.SASLPassword != "" {
		pw = "****"
	}
	brokers := strings.Join(c.Brokers, ",")
	if brokers == "" {
		brokers = "(embedded)"
	}
	return fmt.Sprintf("brokers=%s client_id=%s sasl=%q sasl_user=%q sasl_password=%q tls=%t tls_ca=%q tls_insecure=%t dial_timeout=%s",
		brokers, c.clientID(), c.SASLMechanism, c.SASLUser, pw, c.TLS, c.TLSCAFile, c.TLSInsecureSkipVerify, c.dialTimeout())
}
