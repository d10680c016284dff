package config

import (
	"fmt"
	"strings"
)

// Settlement is the central finance node.
type Settlement struct {
	Halls         []string `env:"TONGBAN_SETTLEMENT_HALLS" flag:"halls" default:"" help:"halls whose waybill events are trusted, code=base64-Ed25519-public-key pairs separated by commas; empty trusts the hall keys kept under the data dir (development)"`
	LayoutsFile   string   `env:"TONGBAN_SETTLEMENT_BILL_LAYOUTS" flag:"bill-layouts" default:"" help:"JSON file of per-carrier bill column layouts, overlaying the built-in sf and ems layouts"`
	ToleranceFen  int64    `env:"TONGBAN_SETTLEMENT_TOLERANCE_FEN" flag:"tolerance-fen" default:"1" help:"a bill line within this many fen of the expected fee counts as matched"`
	ToleranceBP   int64    `env:"TONGBAN_SETTLEMENT_TOLERANCE_BP" flag:"tolerance-bp" default:"0" help:"a bill line within this many basis points (0.01 %) of the expected fee counts as matched"`
	CloseSchedule string   `env:"TONGBAN_SETTLEMENT_CLOSE_SCHEDULE" flag:"close-schedule" default:"0 2 1 * *" help:"cron spec (Asia/Shanghai) of the job preparing the previous month's close; - turns it off"`
	DataKeys      Secret   `env:"TONGBAN_DATA_KEYS" default:"" help:"AES-256 keys sealing finance staff's TOTP secrets at rest, id:base64 pairs separated by commas (or _FILE); several during rotation; empty keeps a generated key under the data dir (keys/settlement/)"`
	DataKeyID     string   `env:"TONGBAN_DATA_KEY_ID" flag:"data-key-id" default:"" help:"id of the data key that seals new secrets; the others only open old ones"`
	Common
}

// Validate checks every field and names the first bad one.
func (s *Settlement) Validate() error {
	for _, h := range s.Halls {
		code, key, ok := strings.Cut(h, "=")
		if !ok || !ValidDivisionCode(code) || len(key) < 40 {
			return &Problem{"TONGBAN_SETTLEMENT_HALLS", h, "code=base64-public-key pairs such as 440100=3q2+7w..."}
		}
	}
	if s.ToleranceFen < 0 || s.ToleranceFen > 100000 {
		return &Problem{"TONGBAN_SETTLEMENT_TOLERANCE_FEN", fmt.Sprint(s.ToleranceFen), "a whole number of fen from 0 to 100000"}
	}
	if s.ToleranceBP < 0 || s.ToleranceBP > 10000 {
		return &Problem{"TONGBAN_SETTLEMENT_TOLERANCE_BP", fmt.Sprint(s.ToleranceBP), "basis points from 0 to 10000"}
	}
	if s.CloseSchedule != "-" && len(strings.Fields(s.CloseSchedule)) != 5 {
		return &Problem{"TONGBAN_SETTLEMENT_CLOSE_SCHEDULE", s.CloseSchedule, "a five-field cron spec such as \"0 2 1 * *\", or - to turn the job off"}
	}
	if (s.DataKeys == "") != (s.DataKeyID == "") {
		return &Problem{"TONGBAN_DATA_KEY_ID", s.DataKeyID, "set together with TONGBAN_DATA_KEYS, naming one of its key ids"}
	}
	return s.Common.Validate()
}
