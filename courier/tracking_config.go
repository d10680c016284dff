package courier

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tongban/tongban/internal/config"
)

// Config is how a hall ships and tracks parcels. The carrier accounts themselves
// (endpoints and credentials) are read by each adapter's ConfigFromEnv
// (TONGBAN_SF_*, TONGBAN_EMS_*, TONGBAN_KUAIDI100_*); this holds the rest.
// Tags follow internal/config, so the hall prints and documents it like its own.
type Config struct {
	Carrier string `env:"TONGBAN_COURIER_CARRIER" default:"sf" help:"carrier orders are placed with: sf, ems, or none (clerks type the waybill)"`
	// Tracking adds kuaidi100 subscriptions on top of the carrier's own pushes.
	Tracking        string        `env:"TONGBAN_COURIER_TRACKING" default:"" help:"extra tracking service: kuaidi100, or empty"`
	CallbackBaseURL string        `env:"TONGBAN_COURIER_CALLBACK_BASE_URL" default:"" help:"public base URL of this hall that carriers push to; the kuaidi100 callback is <base>/api/v1/courier/callbacks/kuaidi100"`
	RatePerSecond   int           `env:"TONGBAN_COURIER_RATE" default:"5" help:"calls per second to each carrier"`
	Timeout         time.Duration `env:"TONGBAN_COURIER_TIMEOUT" default:"10s" help:"bound on one call to a carrier"`
	PollInterval    time.Duration `env:"TONGBAN_COURIER_POLL_INTERVAL" default:"1m" help:"how often the polling backstop runs"`
	StaleAfter      time.Duration `env:"TONGBAN_COURIER_STALE_AFTER" default:"6h" help:"a parcel with no progress for this long is polled"`
	LostAfter       time.Duration `env:"TONGBAN_COURIER_LOST_AFTER" default:"72h" help:"a parcel with no progress for this long opens a lost incident"`
	// The hall's own address as sender, and the partner halls' as recipients: the
	// paper goes office to office, so no applicant's address is sent.
	SenderName    string   `env:"TONGBAN_COURIER_SENDER_NAME" default:"" help:"sender name on waybills; empty uses the hall's name"`
	SenderPhone   string   `env:"TONGBAN_COURIER_SENDER_PHONE" default:"" help:"office phone printed as sender"`
	SenderAddress string   `env:"TONGBAN_COURIER_SENDER_ADDRESS" default:"" help:"street address of the hall's dispatch office"`
	Halls         []string `env:"TONGBAN_COURIER_HALLS" default:"" help:"partner halls' delivery addresses, code=name|phone|address entries separated by commas"`
	// The paper parcel's usual shape; the waybill event tells settlement.
	WeightG          int64  `env:"TONGBAN_COURIER_WEIGHT_G" default:"500" help:"declared weight of a case parcel in grams"`
	Dimensions       string `env:"TONGBAN_COURIER_DIMENSIONS_MM" default:"320x230x20" help:"length x width x height of a case parcel in millimetres"`
	Product          string `env:"TONGBAN_COURIER_PRODUCT" default:"" help:"carrier product code; empty takes the adapter's default"`
	Insured          bool   `env:"TONGBAN_COURIER_INSURED" default:"false" help:"insure case parcels"`
	DeclaredValueFen int64  `env:"TONGBAN_COURIER_DECLARED_VALUE_FEN" default:"0" help:"declared value in fen (needed when insured)"`
	ReturnReceipt    bool   `env:"TONGBAN_COURIER_RETURN_RECEIPT" default:"true" help:"ask for the signed receipt back (签回单)"`
}

// ConfigFromEnv reads Config from its defaults and the environment.
func ConfigFromEnv() (Config, error) {
	var c Config
	if _, err := config.Load(&c, "courier", nil); err != nil {
		return Config{}, fmt.Errorf("courier: config: %w", err)
	}
	return c, c.Validate()
}

// DefaultConfig is Config with its documented defaults and no environment.
func DefaultConfig() Config {
	c := Config{Carrier: "sf", RatePerSecond: 5, Timeout: 10 * time.Second, PollInterval: time.Minute,
		StaleAfter: 6 * time.Hour, LostAfter: 72 * time.Hour, WeightG: 500, Dimensions: "320x230x20", ReturnReceipt: true}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	bad := func(env, why string) error { return fmt.Errorf("courier: config: %s %s", env, why) }
	switch {
	case c.Carrier != "sf" && c.Carrier != "ems" && c.Carrier != "none" && c.Carrier != "":
		return bad("TONGBAN_COURIER_CARRIER", "must be sf, ems or none")
	case c.Tracking != "" && c.Tracking != "kuaidi100":
		return bad("TONGBAN_COURIER_TRACKING", "must be kuaidi100 or empty")
	case c.PollInterval <= 0 || c.StaleAfter <= 0 || c.LostAfter <= 0:
		return bad("TONGBAN_COURIER_POLL_INTERVAL", "and the stale and lost times must be positive")
	case c.WeightG <= 0:
		return bad("TONGBAN_COURIER_WEIGHT_G", "must be positive")
	case c.Insured && c.DeclaredValueFen <= 0:
		return bad("TONGBAN_COURIER_DECLARED_VALUE_FEN", "must be positive when insured")
	}
	if c.CallbackBaseURL != "" {
		if u, err := url.Parse(c.CallbackBaseURL); err != nil || u.Host == "" {
			return bad("TONGBAN_COURIER_CALLBACK_BASE_URL", "must be an absolute URL")
		}
	}
	if _, _, _, err := c.Dims(); err != nil {
		return bad("TONGBAN_COURIER_DIMENSIONS_MM", err.Error())
	}
	for _, h := range c.Halls {
		if _, _, err := parseHall(h); err != nil {
			return bad("TONGBAN_COURIER_HALLS", err.Error())
		}
	}
	return nil
}

// Dims parses Dimensions.
func (c Config) Dims() (l, w, h int64, err error) {
	if c.Dimensions == "" {
		return 0, 0, 0, nil
	}
	var n int
	n, err = fmt.Sscanf(strings.ReplaceAll(c.Dimensions, "×", "x"), "%dx%dx%d", &l, &w, &h)
	if err != nil || n != 3 || l <= 0 || w <= 0 || h <= 0 {
		return 0, 0, 0, errors.New("must be like 320x230x20")
	}
	return l, w, h, nil
}

// Enabled reports whether orders are placed with a carrier.
func (c Config) Enabled() bool { return c.Carrier != "" && c.Carrier != "none" }

// CallbackURL is where a carrier's pushes go, or "" without a base URL.
func (c Config) CallbackURL(carrier string) string {
	if c.CallbackBaseURL == "" {
		return ""
	}
	return strings.TrimRight(c.CallbackBaseURL, "/") + "/api/v1/courier/callbacks/" + carrier
}

// HallParty is a hall's office as a waybill party. A hall not listed gets its
// division code and a generic name, which carriers route by.
func (c Config) HallParty(code, fallbackName string) Party {
	for _, h := range c.Halls {
		if hc, p, err := parseHall(h); err == nil && hc == code {
			return p
		}
	}
	name := fallbackName
	if name == "" {
		name = code + " 政务服务中心"
	}
	return Party{Name: name, Company: name, Phone: "12345", Address: name + " 收发室", DivisionCode: code}
}

func parseHall(s string) (string, Party, error) {
	code, rest, ok := strings.Cut(s, "=")
	parts := strings.Split(rest, "|")
	if !ok || !isDivisionCode(code) || len(parts) != 3 {
		return "", Party{}, fmt.Errorf("entry %q must be code=name|phone|address", s)
	}
	return code, Party{Name: parts[0], Company: parts[0], Phone: parts[1], Address: parts[2], DivisionCode: code}, nil
}
