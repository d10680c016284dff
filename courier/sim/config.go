package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/tongban/tongban/courier"
)

// SFAccount is an SF open-platform account the simulator accepts. Credentials are
// courier.Secret so that a dumped config never shows them; they load from JSON as
// plain strings.
type SFAccount struct {
	PartnerID   string         `json:"partner_id"`
	CheckWord   courier.Secret `json:"check_word"`
	MonthlyCard string         `json:"monthly_card"`
	// PushURL receives route pushes; empty sends none.
	PushURL string `json:"push_url"`
	// PushMode is "form" (signed form, the default) or "json" (plain JSON with a
	// token query parameter appended to PushURL).
	PushMode  string         `json:"push_mode"`
	PushToken courier.Secret `json:"push_token"`
}

// EMSAccount is an EMS gateway account.
type EMSAccount struct {
	AppKey   string         `json:"app_key"`
	Secret   courier.Secret `json:"secret"`
	SenderNo string         `json:"sender_no"`
}

// Kuaidi100Account is a kuaidi100 enterprise account.
type Kuaidi100Account struct {
	Customer string         `json:"customer"`
	Key      courier.Secret `json:"key"`
}

// Config sets up a simulator. Zero fields take the documented defaults.
type Config struct {
	SF        []SFAccount        `json:"sf"`
	EMS       []EMSAccount       `json:"ems"`
	Kuaidi100 []Kuaidi100Account `json:"kuaidi100"`
	// Start is the virtual clock's first reading. Default 2025-03-03 09:00 China time,
	// so runs are repeatable.
	Start time.Time `json:"start"`
	// Speed is how many virtual seconds pass per real second once a Server runs; 0
	// leaves the clock to Advance alone.
	Speed float64 `json:"speed"`
	// Seed drives every random choice (waybill numbers, jitter, faults, bills).
	Seed uint64 `json:"seed"`
	// Faults in force from the start.
	Faults Faults `json:"faults"`
	// PushTimeout bounds one push. Default 5s.
	PushTimeout time.Duration `json:"push_timeout"`
}

// DefaultStart is Config.Start's default.
var DefaultStart = time.Date(2025, 3, 3, 9, 0, 0, 0, cst)

func (c Config) withDefaults() Config {
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	if c.PushTimeout == 0 {
		c.PushTimeout = 5 * time.Second
	}
	for i := range c.SF {
		if c.SF[i].PushMode == "" {
			c.SF[i].PushMode = "form"
		}
	}
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	if len(c.SF)+len(c.EMS)+len(c.Kuaidi100) == 0 {
		return errors.New("sim: config: no accounts")
	}
	for i, a := range c.SF {
		switch {
		case a.PartnerID == "" || a.CheckWord == "":
			return fmt.Errorf("sim: config: sf[%d]: partner_id and check_word are required", i)
		case a.PushMode != "" && a.PushMode != "form" && a.PushMode != "json":
			return fmt.Errorf("sim: config: sf[%d].push_mode must be form or json", i)
		}
	}
	for i, a := range c.EMS {
		if a.AppKey == "" || a.Secret == "" {
			return fmt.Errorf("sim: config: ems[%d]: app_key and secret are required", i)
		}
	}
	for i, a := range c.Kuaidi100 {
		if a.Customer == "" || a.Key == "" {
			return fmt.Errorf("sim: config: kuaidi100[%d]: customer and key are required", i)
		}
	}
	if c.Speed < 0 {
		return errors.New("sim: config: speed must not be negative")
	}
	return c.Faults.Validate()
}

// DefaultConfig is a one-account-per-carrier setup for running the simulator by hand.
func DefaultConfig() Config {
	return Config{
		SF:        []SFAccount{{PartnerID: "TB_SF_SIM", CheckWord: "sim-sf-check-word", MonthlyCard: "7551234567"}},
		EMS:       []EMSAccount{{AppKey: "TB_EMS_SIM", Secret: "sim-ems-secret", SenderNo: "1100000001"}},
		Kuaidi100: []Kuaidi100Account{{Customer: "TB_K100_SIM", Key: "sim-kuaidi100-key"}},
		Speed:     60,
		Seed:      1,
	}
}
