package bus

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// kafka-go has two connection stacks: the Reader (and its consumer group)
// dials through a *kafka.Dialer, while the Writer and the admin Client send
// requests through a *kafka.Transport. Both must carry the same TLS and SASL
// settings, so both are built here from one Config.

// metadataTTL is how often a Transport refreshes its cached view of the
// cluster. kafka-go answers a Writer's topic lookups from that cache and fails
// a write to a topic missing from it at once, without retrying; so a hall
// inbox created after the Writer started is unknown to it until the next
// refresh. kafka-go's default is 6s; 2s shortens that window for one small
// metadata request per Writer every 2s.
const metadataTTL = 2 * time.Second

// Dialer builds the kafka-go Dialer used by readers and by Ping.
func (c Config) Dialer() (*kafka.Dialer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	mech, err := c.saslMechanism()
	if err != nil {
		return nil, err
	}
	return &kafka.Dialer{
		ClientID:      c.clientID(),
		Timeout:       c.dialTimeout(),
		DualStack:     true,
		KeepAlive:     30 * time.Second,
		TLS:           tc,
		SASLMechanism: mech,
	}, nil
}

// Transport builds the kafka-go Transport used by writers and the admin
// client. Callers own it and should CloseIdleConnections when done.
func (c Config) Transport() (*kafka.Transport, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	mech, err := c.saslMechanism()
	if err != nil {
		return nil, err
	}
	return &kafka.Transport{
		ClientID:    c.clientID(),
		DialTimeout: c.dialTimeout(),
		IdleTimeout: 30 * time.Second,
		MetadataTTL: metadataTTL,
		TLS:         tc,
		SASL:        mech,
	}, nil
}

// tlsConfig returns nil when TLS is off, which is how kafka-go means
// plaintext.
func (c Config) tlsConfig() (*tls.Config, error) {
	if !c.TLS {
		return nil, nil
	}
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Hall operators sometimes front a test cluster with self-signed
		// certificates; Validate already refuses this flag without TLS.
		InsecureSkipVerify: c.TLSInsecureSkipVerify, //nolint:gosec // opt-in, documented on Config
	}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("bus: read TLSCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &ConfigError{"TLSCAFile", c.TLSCAFile, "a PEM file holding at least one CA certificate"}
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

func (c Config) saslMechanism() (sasl.Mechanism, error) {
	var algo scram.Algorithm
	switch c.SASLMechanism {
	case SASLNone:
		return nil, nil
	case SASLScramSHA256:
		algo = scram.SHA256
	case SASLScramSHA512:
		algo = scram.SHA512
	}
	mech, err := scram.Mechanism(algo, c.SASLUser, c.SASLPassword)
	if err != nil {
		return nil, fmt.Errorf("bus: sasl mechanism: %w", err)
	}
	return mech, nil
}

// ErrNoBrokers is returned when a Config with no Brokers reaches code that
// needs a cluster: the node should have called Resolve (or StartEmbedded)
// first.
var ErrNoBrokers = errors.New("no brokers configured (call Resolve to start the embedded broker)")

// bootstrap is the kafka-go form of the broker list.
func (c Config) bootstrap() (net.Addr, error) {
	if len(c.Brokers) == 0 {
		return nil, ErrNoBrokers
	}
	return kafka.TCP(c.Brokers...), nil
}
