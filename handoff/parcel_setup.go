package handoff

import (
	"fmt"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/kuaidi100"
	"github.com/tongban/tongban/courier/sf"
)

// CourierAccounts are the carrier accounts a hall may use; only the one named by
// Config.Carrier (and kuaidi100 when Config.Tracking says so) must be set.
type CourierAccounts struct {
	SF        *sf.Config
	EMS       *ems.Config
	Kuaidi100 *kuaidi100.Config
}

// NewCourierSetup builds the adapters cfg names. The carrier's client gets cfg's
// rate and timeout where its own config leaves them zero; kuaidi100's callback URL
// defaults to the hall's callback route under cfg.CallbackBaseURL.
func NewCourierSetup(cfg courier.Config, acc CourierAccounts) (*CourierSetup, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &CourierSetup{Config: cfg, Callbacks: map[string]courier.CallbackHandler{}, Trackers: map[string]courier.Tracker{}}
	tune := func(c *courier.ClientConfig) {
		if c.RatePerSecond == 0 {
			c.RatePerSecond = float64(cfg.RatePerSecond)
		}
		if c.Timeout == 0 {
			c.Timeout = cfg.Timeout
		}
	}
	switch cfg.Carrier {
	case "sf":
		if acc.SF == nil {
			return nil, fmt.Errorf("handoff: courier: carrier sf needs the SF account (TONGBAN_SF_*)")
		}
		c := *acc.SF
		tune(&c.Client)
		a, err := sf.New(c)
		if err != nil {
			return nil, fmt.Errorf("handoff: courier: %w", err)
		}
		s.Carrier, s.Account = a, c.PartnerID
		s.Callbacks["sf"], s.Trackers["sf"] = a, a
	case "ems":
		if acc.EMS == nil {
			return nil, fmt.Errorf("handoff: courier: carrier ems needs the EMS account (TONGBAN_EMS_*)")
		}
		c := *acc.EMS
		tune(&c.Client)
		a, err := ems.New(c)
		if err != nil {
			return nil, fmt.Errorf("handoff: courier: %w", err)
		}
		s.Carrier, s.Account = a, c.AppKey
		s.Trackers["ems"] = a
	}
	if cfg.Tracking == "kuaidi100" {
		if acc.Kuaidi100 == nil {
			return nil, fmt.Errorf("handoff: courier: tracking kuaidi100 needs the account (TONGBAN_KUAIDI100_*)")
		}
		c := *acc.Kuaidi100
		tune(&c.Client)
		if c.CallbackURL == "" {
			c.CallbackURL = cfg.CallbackURL("kuaidi100")
		}
		a, err := kuaidi100.New(c)
		if err != nil {
			return nil, fmt.Errorf("handoff: courier: %w", err)
		}
		s.Kuaidi100 = a
		s.Callbacks["kuaidi100"] = a
	}
	return s, nil
}

// CourierSetupFromEnv reads courier.Config and the accounts it names from the
// environment (courier.ConfigFromEnv, sf/ems/kuaidi100.ConfigFromEnv). With SF chosen
// but no SF endpoint set it returns nil: the hall then works with typed waybills.
func CourierSetupFromEnv() (*CourierSetup, error) {
	cfg, err := courier.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	var acc CourierAccounts
	switch cfg.Carrier {
	case "sf":
		c, err := sf.ConfigFromEnv()
		if err != nil {
			return nil, err
		}
		if c.Client.BaseURL == "" {
			// No carrier endpoint: the hall works with waybills the window types.
			return nil, nil
		}
		acc.SF = &c
	case "ems":
		c, err := ems.ConfigFromEnv()
		if err != nil {
			return nil, err
		}
		acc.EMS = &c
	}
	if cfg.Tracking == "kuaidi100" {
		c, err := kuaidi100.ConfigFromEnv()
		if err != nil {
			return nil, err
		}
		acc.Kuaidi100 = &c
	}
	return NewCourierSetup(cfg, acc)
}
