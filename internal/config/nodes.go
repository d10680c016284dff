package config

import (
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"
)

// Kafka is how a node reaches the bus. With no brokers the node starts an embedded
// Kafka-protocol broker on loopback (demo and tests only: it keeps nothing on disk).
type Kafka struct {
	Brokers       []string `env:"TONGBAN_KAFKA_BROKERS" flag:"kafka-brokers" default:"" help:"comma-separated host:port of the Kafka cluster; empty starts an embedded broker on loopback"`
	SASLMechanism string   `env:"TONGBAN_KAFKA_SASL_MECHANISM" flag:"kafka-sasl-mechanism" default:"" help:"\"\", SCRAM-SHA-256 or SCRAM-SHA-512"`
	SASLUser      string   `env:"TONGBAN_KAFKA_SASL_USER" flag:"kafka-sasl-user" default:"" help:"SASL/SCRAM user name"`
	SASLPassword  Secret   `env:"TONGBAN_KAFKA_SASL_PASSWORD" default:"" help:"SASL/SCRAM password (or TONGBAN_KAFKA_SASL_PASSWORD_FILE)"`
	TLS           bool     `env:"TONGBAN_KAFKA_TLS" flag:"kafka-tls" default:"false" help:"use TLS to the brokers"`
	TLSCAFile     string   `env:"TONGBAN_KAFKA_TLS_CA_FILE" flag:"kafka-tls-ca" default:"" help:"PEM file of the CA that signed the brokers' certificates"`
}

// Common is what every serving node has.
type Common struct {
	HTTPAddr        string        `env:"TONGBAN_HTTP_ADDR" flag:"http" default:"127.0.0.1:8080" help:"address the HTTP API, console, /healthz, /readyz and /metrics listen on"`
	DatabaseURL     Secret        `env:"TONGBAN_DATABASE_URL" flag:"database-url" default:"" help:"PostgreSQL DSN; empty starts a private cluster under the data dir"`
	DataDir         string        `env:"TONGBAN_DATA_DIR" flag:"data-dir" default:".data" help:"folder for the private PostgreSQL cluster and keys when no DSN is set"`
	Migrate         bool          `env:"TONGBAN_MIGRATE" flag:"migrate" default:"true" help:"apply pending migrations at start; false refuses to start on a schema that is behind"`
	LogLevel        string        `env:"TONGBAN_LOG_LEVEL" flag:"log-level" default:"info" help:"debug, info, warn or error"`
	ShutdownTimeout time.Duration `env:"TONGBAN_SHUTDOWN_TIMEOUT" flag:"shutdown-timeout" default:"20s" help:"how long a graceful shutdown may drain before it gives up"`
	TLSCertFile     string        `env:"TONGBAN_TLS_CERT_FILE" flag:"tls-cert" default:"" help:"PEM certificate to serve HTTPS with; empty serves plain HTTP (put TLS in front)"`
	TLSKeyFile      string        `env:"TONGBAN_TLS_KEY_FILE" flag:"tls-key" default:"" help:"PEM private key of the certificate"`
	BehindTLS       bool          `env:"TONGBAN_BEHIND_TLS" flag:"behind-tls" default:"false" help:"a TLS proxy terminates HTTPS in front of this node: session cookies are marked Secure"`
	AuditRetention  time.Duration `env:"TONGBAN_AUDIT_RETENTION" flag:"audit-retention" default:"4392h" help:"how long audit records are kept (at least 6 months: 4392h)"`
	Kafka
}

// Hall is one city's node.
type Hall struct {
	Code          string   `env:"TONGBAN_HALL_CODE" flag:"code" default:"440100" help:"GB/T 2260 division code of this hall's city, e.g. 440100 Guangzhou, 440600 Foshan"`
	Name          string   `env:"TONGBAN_HALL_NAME" flag:"name" default:"" help:"display name of the hall; defaults to the city's service centre"`
	SigningKey    Secret   `env:"TONGBAN_SIGNING_KEY" default:"" help:"base64 Ed25519 seed this hall signs messages with (or TONGBAN_SIGNING_KEY_FILE); empty keeps a generated key under the data dir"`
	SealKey       Secret   `env:"TONGBAN_SEAL_KEY" default:"" help:"base64 X25519 private key that opens personal data partners seal for this hall (or _FILE); empty keeps a generated key under the data dir"`
	DataKeys      Secret   `env:"TONGBAN_DATA_KEYS" default:"" help:"AES-256 keys for personal data at rest, id:base64 pairs separated by commas (or _FILE); several during rotation; empty keeps a generated key under the data dir"`
	DataKeyID     string   `env:"TONGBAN_DATA_KEY_ID" flag:"data-key-id" default:"" help:"id of the data key that seals new records; the others only open old ones"`
	SearchKey     Secret   `env:"TONGBAN_SEARCH_KEY" default:"" help:"base64 HMAC key for exact search of ID numbers (or _FILE); empty keeps a generated key under the data dir"`
	Partners      []string `env:"TONGBAN_PARTNERS" flag:"partners" default:"" help:"partner halls' public keys, code=signing-key:sealing-key (base64) entries separated by commas; repeat a code to trust a second key during rotation"`
	CatalogueFile string   `env:"TONGBAN_CATALOGUE_FILE" flag:"catalogue" default:"" help:"matter catalogue JSON file; empty loads the built-in demo catalogue for this hall"`
	Common
}

// CourierSim is the courier simulator.
type CourierSim struct {
	HTTPAddr   string `env:"TONGBAN_SIM_ADDR" flag:"http" default:"127.0.0.1:8070" help:"address the simulated carrier gateways listen on"`
	TimeScale  int    `env:"TONGBAN_SIM_TIME_SCALE" flag:"time-scale" default:"600" help:"simulated seconds per real second for parcel movement"`
	ConfigFile string `env:"TONGBAN_SIM_CONFIG" flag:"config" default:"" help:"JSON file with the simulated carrier accounts, faults, start time and seed; empty uses built-in demo accounts"`
	Seed       int64  `env:"TONGBAN_SIM_SEED" flag:"seed" default:"1" help:"random seed, so a run can be repeated"`
	LogLevel   string `env:"TONGBAN_LOG_LEVEL" flag:"log-level" default:"info" help:"debug, info, warn or error"`
}

// Demo runs two halls, settlement and the courier simulator in one process.
type Demo struct {
	Halls    []string      `env:"TONGBAN_DEMO_HALLS" flag:"halls" default:"440100,440600" help:"division codes of the demo halls"`
	BasePort int           `env:"TONGBAN_DEMO_BASE_PORT" flag:"base-port" default:"8440" help:"first HTTP port; halls get the next ones, settlement and the simulator follow"`
	Scenario time.Duration `env:"TONGBAN_DEMO_SCENARIO" flag:"scenario" default:"4s" help:"how often the scripted demo starts a new case through the whole lifecycle; 0 turns the script off"`
	Common
}

// Problem is a bad setting: the field, the value and what is accepted.
type Problem struct {
	Env, Value, Accepted string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("config: %s=%q is not accepted: %s", p.Env, p.Value, p.Accepted)
}

var divisionCode = regexp.MustCompile(`^[1-8][0-9]{5}$`)

// ValidDivisionCode reports whether s looks like a GB/T 2260 city division code.
func ValidDivisionCode(s string) bool { return divisionCode.MatchString(s) }

// Validate checks every field and names the first bad one.
func (k *Kafka) Validate() error {
	switch k.SASLMechanism {
	case "", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return &Problem{"TONGBAN_KAFKA_SASL_MECHANISM", k.SASLMechanism, `"", SCRAM-SHA-256 or SCRAM-SHA-512`}
	}
	if k.SASLMechanism != "" && (k.SASLUser == "" || k.SASLPassword == "") {
		return &Problem{"TONGBAN_KAFKA_SASL_USER", k.SASLUser, "a user and a password when a SASL mechanism is set"}
	}
	for _, b := range k.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return &Problem{"TONGBAN_KAFKA_BROKERS", strings.Join(k.Brokers, ","), "host:port pairs separated by commas"}
		}
	}
	if k.TLSCAFile != "" && !k.TLS {
		return &Problem{"TONGBAN_KAFKA_TLS", "false", "true when TONGBAN_KAFKA_TLS_CA_FILE is set"}
	}
	return nil
}

// Validate checks every field and names the first bad one.
func (c *Common) Validate() error {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return &Problem{"TONGBAN_HTTP_ADDR", c.HTTPAddr, "host:port, e.g. 127.0.0.1:8080 or :8080"}
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return &Problem{"TONGBAN_SHUTDOWN_TIMEOUT", c.ShutdownTimeout.String(), "a positive duration such as 20s"}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return &Problem{"TONGBAN_TLS_KEY_FILE", c.TLSKeyFile, "set together with TONGBAN_TLS_CERT_FILE"}
	}
	if c.AuditRetention < 4392*time.Hour {
		return &Problem{"TONGBAN_AUDIT_RETENTION", c.AuditRetention.String(), "at least 4392h (six months), as graded protection requires"}
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		return &Problem{"TONGBAN_DATA_DIR", "", "a folder when TONGBAN_DATABASE_URL is empty"}
	}
	return c.Kafka.Validate()
}

// Validate checks every field and names the first bad one.
func (h *Hall) Validate() error {
	if !ValidDivisionCode(h.Code) {
		return &Problem{"TONGBAN_HALL_CODE", h.Code, "a 6-digit GB/T 2260 division code such as 440100"}
	}
	for _, p := range h.Partners {
		code, keys, ok := strings.Cut(p, "=")
		sig, seal, ok2 := strings.Cut(keys, ":")
		if !ok || !ok2 || !ValidDivisionCode(code) || len(sig) < 40 || len(seal) < 40 {
			return &Problem{"TONGBAN_PARTNERS", p, "code=signing-key:sealing-key entries (base64), such as 440600=3q2+7w...:Zm9v..."}
		}
	}
	if (h.DataKeys == "") != (h.DataKeyID == "") {
		return &Problem{"TONGBAN_DATA_KEY_ID", h.DataKeyID, "set together with TONGBAN_DATA_KEYS, naming one of its key ids"}
	}
	return h.Common.Validate()
}

// Validate checks every field and names the first bad one.
func (d *Demo) Validate() error {
	if len(d.Halls) < 2 {
		return &Problem{"TONGBAN_DEMO_HALLS", strings.Join(d.Halls, ","), "at least two division codes, e.g. 440100,440600"}
	}
	for _, h := range d.Halls {
		if !ValidDivisionCode(h) {
			return &Problem{"TONGBAN_DEMO_HALLS", h, "6-digit GB/T 2260 division codes such as 440100"}
		}
	}
	if d.BasePort < 1024 || d.BasePort > 65000 {
		return &Problem{"TONGBAN_DEMO_BASE_PORT", fmt.Sprint(d.BasePort), "a port between 1024 and 65000"}
	}
	return d.Common.Validate()
}

// Validate checks every field and names the first bad one.
func (s *CourierSim) Validate() error {
	if _, _, err := net.SplitHostPort(s.HTTPAddr); err != nil {
		return &Problem{"TONGBAN_SIM_ADDR", s.HTTPAddr, "host:port, e.g. 127.0.0.1:8070"}
	}
	if s.TimeScale < 1 {
		return &Problem{"TONGBAN_SIM_TIME_SCALE", fmt.Sprint(s.TimeScale), "a whole number of at least 1"}
	}
	_, err := ParseLevel(s.LogLevel)
	return err
}

// ParseLevel maps the log level setting to slog.
func ParseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, &Problem{"TONGBAN_LOG_LEVEL", s, "debug, info, warn or error"}
}

// SplitCodes parses a comma-separated list of division codes into dst.
func SplitCodes(s string, dst *[]string) error {
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !ValidDivisionCode(c) {
			return &Problem{"-halls", c, "6-digit GB/T 2260 division codes such as 440100"}
		}
		*dst = append(*dst, c)
	}
	return nil
}
