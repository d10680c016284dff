package sf

import (
	"errors"
	"fmt"
	"os"

	"github.com/tongban/tongban/courier"
)

// Config is one SF account.
type Config struct {
	// PartnerID is the 顾客编码 SF issues with the account.
	PartnerID string
	// CheckWord is the account's 校验码, the key of msgDigest.
	CheckWord courier.Secret
	// MonthlyCard is the 月结卡号 freight is charged to.
	MonthlyCard string
	// Path is the service path under Client.BaseURL. Default "/std/service".
	Path string
	// DefaultProduct is the expressTypeId used when a shipment names none.
	// Default "1" (顺丰特快): government papers go by the fastest standard product.
	DefaultProduct string
	// PushToken verifies route pushes sent as plain JSON (see ParseCallback); empty
	// when the account pushes signed forms only.
	PushToken courier.Secret
	// Client tunes HTTP; Client.BaseURL is the SF host. Required.
	Client courier.ClientConfig
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = "/std/service"
	}
	if c.DefaultProduct == "" {
		c.DefaultProduct = "1"
	}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.PartnerID == "":
		return errors.New("sf: config: PartnerID is empty")
	case c.CheckWord == "":
		return errors.New("sf: config: CheckWord is empty")
	case c.MonthlyCard == "":
		return errors.New("sf: config: MonthlyCard is empty")
	}
	if err := c.Client.Validate(); err != nil {
		return fmt.Errorf("sf: config: %w", err)
	}
	return nil
}

// ConfigFromEnv reads TONGBAN_SF_PARTNER_ID, TONGBAN_SF_CHECK_WORD (or _FILE),
// TONGBAN_SF_MONTHLY_CARD, TONGBAN_SF_BASE_URL and TONGBAN_SF_PUSH_TOKEN (or _FILE).
func ConfigFromEnv() (Config, error) {
	cw, err := courier.SecretFromEnv("TONGBAN_SF_CHECK_WORD")
	if err != nil {
		return Config{}, err
	}
	pt, err := courier.SecretFromEnv("TONGBAN_SF_PUSH_TOKEN")
	if err != nil {
		return Config{}, err
	}
	c := Config{
		PartnerID:   os.Getenv("TONGBAN_SF_PARTNER_ID"),
		CheckWord:   cw,
		MonthlyCard: os.Getenv("TONGBAN_SF_MONTHLY_CARD"),
		PushToken:   pt,
		Client:      courier.ClientConfig{BaseURL: os.Getenv("TONGBAN_SF_BASE_URL")},
	}
	return c, c.Validate()
}
