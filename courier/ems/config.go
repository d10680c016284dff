package ems

import (
	"errors"
	"fmt"
	"os"

	"github.com/tongban/tongban/courier"
)

// Config is one EMS account.
type Config struct {
	AppKey string
	Secret courier.Secret
	// SenderNo is the 协议客户号 (agreement customer number) freight is charged to.
	SenderNo string
	// Path is the gateway path under Client.BaseURL. Default "/api/gateway".
	Path string
	// DefaultProduct is the bizProductNo used when a shipment names none. Default "1"
	// (standard express).
	DefaultProduct string
	// Client tunes HTTP; Client.BaseURL is the gateway host. Required.
	Client courier.ClientConfig
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = "/api/gateway"
	}
	if c.DefaultProduct == "" {
		c.DefaultProduct = "1"
	}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.AppKey == "":
		return errors.New("ems: config: AppKey is empty")
	case c.Secret == "":
		return errors.New("ems: config: Secret is empty")
	case c.SenderNo == "":
		return errors.New("ems: config: SenderNo is empty")
	}
	if err := c.Client.Validate(); err != nil {
		return fmt.Errorf("ems: config: %w", err)
	}
	return nil
}

// ConfigFromEnv reads TONGBAN_EMS_APP_KEY, TONGBAN_EMS_SECRET (or _FILE),
// TONGBAN_EMS_SENDER_NO and TONGBAN_EMS_BASE_URL.
func ConfigFromEnv() (Config, error) {
	sec, err := courier.SecretFromEnv("TONGBAN_EMS_SECRET")
	if err != nil {
		return Config{}, err
	}
	c := Config{
		AppKey:   os.Getenv("TONGBAN_EMS_APP_KEY"),
		Secret:   sec,
		SenderNo: os.Getenv("TONGBAN_EMS_SENDER_NO"),
		Client:   courier.ClientConfig{BaseURL: os.Getenv("TONGBAN_EMS_BASE_URL")},
	}
	return c, c.Validate()
}
