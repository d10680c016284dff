package kuaidi100

import (
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/tongban/tongban/courier"
)

// Config is one kuaidi100 enterprise account.
type Config struct {
	Customer string         // the account's customer id
	Key      courier.Secret // the authorisation key
	// Salt signs the pushes of our subscriptions. Required to verify them.
	Salt courier.Secret
	// CallbackURL is where kuaidi100 pushes; required to subscribe.
	CallbackURL string
	// ResultV2 asks for richer answers. Default "4": the advanced states (101 ordered,
	// 1001 arrived in city, 303 signed by someone else, 501 locker...) come only with
	// "4"; "1" adds just the place names, and then a signature reads as plain state 3
	// whatever the signer.
	ResultV2 string
	// DefaultCompany is the kuaidi100 company code for numbers the adapter cannot
	// place by their form ("SF…" numbers are shunfeng). Default "ems".
	DefaultCompany string
	// PhoneFor returns the phone (or its last four digits) couriers such as SF need
	// to answer for a number; nil sends none.
	PhoneFor func(waybill string) string
	// Client tunes HTTP; Client.BaseURL is the kuaidi100 host
	// (https://poll.kuaidi100.com). Required.
	Client courier.ClientConfig
}

func (c Config) withDefaults() Config {
	if c.ResultV2 == "" {
		c.ResultV2 = "4"
	}
	if c.DefaultCompany == "" {
		c.DefaultCompany = "ems"
	}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Customer == "":
		return errors.New("kuaidi100: config: Customer is empty")
	case c.Key == "":
		return errors.New("kuaidi100: config: Key is empty")
	case c.Salt == "":
		return errors.New("kuaidi100: config: Salt is empty")
	}
	if c.CallbackURL != "" {
		if u, err := url.Parse(c.CallbackURL); err != nil || u.Host == "" {
			return errors.New("kuaidi100: config: CallbackURL must be an absolute URL")
		}
	}
	if err := c.Client.Validate(); err != nil {
		return fmt.Errorf("kuaidi100: config: %w", err)
	}
	return nil
}

// ConfigFromEnv reads TONGBAN_KUAIDI100_CUSTOMER, TONGBAN_KUAIDI100_KEY (or _FILE),
// TONGBAN_KUAIDI100_SALT (or _FILE), TONGBAN_KUAIDI100_CALLBACK_URL and
// TONGBAN_KUAIDI100_BASE_URL.
func ConfigFromEnv() (Config, error) {
	key, err := courier.SecretFromEnv("TONGBAN_KUAIDI100_KEY")
	if err != nil {
		return Config{}, err
	}
	salt, err := courier.SecretFromEnv("TONGBAN_KUAIDI100_SALT")
	if err != nil {
		return Config{}, err
	}
	c := Config{
		Customer: os.Getenv("TONGBAN_KUAIDI100_CUSTOMER"), Key: key, Salt: salt,
		CallbackURL: os.Getenv("TONGBAN_KUAIDI100_CALLBACK_URL"),
		Client:      courier.ClientConfig{BaseURL: os.Getenv("TONGBAN_KUAIDI100_BASE_URL")},
	}
	return c, c.Validate()
}
