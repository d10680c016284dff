package settlement

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Message types and the schema version settlement accepts on bus.SettlementTopic.
const (
	TypeWaybillCreated = "waybill.created"
	TypeWaybillVoided  = "waybill.voided"
	WaybillSchema      = 1
)

// WaybillEvent is the contract between the halls and settlement: the payload of a
// signed envelope (from = the hall's division code, to = "settlement", schema 1) on
// topic tongban.settlement.waybills, keyed by case id, of type "waybill.created" or
// "waybill.voided". The courier module produces exactly this; settlement validates
// every field and quarantines what does not fit, so a waybill is never half-recorded.
//
// Money is in fen, weight in grams, lengths in millimetres, all integers. A voided
// event needs only carrier, waybill, case_id and voided_at.
type WaybillEvent struct {
	Carrier             string    `json:"carrier"` // "sf", "ems", ... lower case
	Product             string    `json:"product"` // the carrier's product name, e.g. "顺丰标快"
	Account             string    `json:"account"` // the account or monthly card billed
	Waybill             string    `json:"waybill"` // as the carrier printed it
	OriginDivision      string    `json:"origin_division"`
	DestinationDivision string    `json:"destination_division"`
	WeightG             int64     `json:"weight_g"`
	LengthMM            int64     `json:"length_mm"`
	WidthMM             int64     `json:"width_mm"`
	HeightMM            int64     `json:"height_mm"`
	Insured             bool      `json:"insured"`
	DeclaredValueFen    int64     `json:"declared_value_fen"`
	ReturnReceipt       bool      `json:"return_receipt"`
	QuotedFeeFen        int64     `json:"quoted_fee_fen"`
	CaseID              string    `json:"case_id"`
	CaseNo              string    `json:"case_no"`
	Hall                string    `json:"hall"`       // division code of the hall that shipped
	Department          string    `json:"department"` // the deciding office the case belongs to
	CreatedAt           time.Time `json:"created_at"`
	VoidedAt            time.Time `json:"voided_at,omitzero"`
}

// ParseWaybillEvent decodes and checks a payload of the given type. Unknown fields
// are refused: a producer that adds one must raise the schema version.
func ParseWaybillEvent(typ string, payload []byte) (WaybillEvent, error) {
	var ev WaybillEvent
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("payload is not a waybill event: %v", err)
	}
	if dec.More() {
		return ev, fmt.Errorf("payload has trailing data")
	}
	return ev, ev.Validate(typ)
}

// Validate checks the event for its type and names the first bad field.
func (ev WaybillEvent) Validate(typ string) error {
	bad := func(field, why string) error { return fmt.Errorf("%s: %s", field, why) }
	if !carrierCode(ev.Carrier) {
		return bad("carrier", "must be a lower-case carrier code such as sf or ems")
	}
	if NormaliseWaybill(ev.Waybill) == "" || len(ev.Waybill) > 40 {
		return bad("waybill", "must be 6 to 40 letters and digits")
	}
	if _, err := uuid.Parse(ev.CaseID); err != nil {
		return bad("case_id", "must be a UUID")
	}
	if typ == TypeWaybillVoided {
		if ev.VoidedAt.IsZero() {
			return bad("voided_at", "is required")
		}
		return nil
	}
	if typ != TypeWaybillCreated {
		return bad("type", "must be waybill.created or waybill.voided")
	}
	switch {
	case strings.TrimSpace(ev.Product) == "" || len(ev.Product) > 64:
		return bad("product", "is required (at most 64 bytes)")
	case strings.TrimSpace(ev.Account) == "" || len(ev.Account) > 64:
		return bad("account", "is required (at most 64 bytes)")
	case !divisionCode(ev.OriginDivision):
		return bad("origin_division", "must be a six-digit division code")
	case !divisionCode(ev.DestinationDivision):
		return bad("destination_division", "must be a six-digit division code")
	case ev.WeightG <= 0 || ev.WeightG > 1_000_000:
		return bad("weight_g", "must be between 1 and 1000000 grams")
	case ev.LengthMM < 0 || ev.WidthMM < 0 || ev.HeightMM < 0 || ev.LengthMM > 10_000 || ev.WidthMM > 10_000 || ev.HeightMM > 10_000:
		return bad("length_mm", "dimensions must be between 0 and 10000 mm")
	case (ev.LengthMM == 0 || ev.WidthMM == 0 || ev.HeightMM == 0) && ev.LengthMM+ev.WidthMM+ev.HeightMM != 0:
		return bad("length_mm", "give all three dimensions or none")
	case ev.DeclaredValueFen < 0 || ev.DeclaredValueFen > 1e12:
		return bad("declared_value_fen", "must be between 0 and 1e12 fen")
	case ev.Insured && ev.DeclaredValueFen == 0:
		return bad("declared_value_fen", "insurance needs a declared value")
	case ev.QuotedFeeFen < 0 || ev.QuotedFeeFen > 1e9:
		return bad("quoted_fee_fen", "must be between 0 and 1e9 fen")
	case strings.TrimSpace(ev.CaseNo) == "" || len(ev.CaseNo) > 50:
		return bad("case_no", "is required (at most 50 characters)")
	case !divisionCode(ev.Hall):
		return bad("hall", "must be a six-digit division code")
	case strings.TrimSpace(ev.Department) == "" || len(ev.Department) > 200:
		return bad("department", "is required")
	case ev.CreatedAt.IsZero() || ev.CreatedAt.Year() < 2000 || ev.CreatedAt.Year() > 2099:
		return bad("created_at", "must be an RFC 3339 time between 2000 and 2099")
	case !ev.VoidedAt.IsZero():
		return bad("voided_at", "belongs to waybill.voided only")
	}
	return nil
}

// NormaliseWaybill is the form waybill numbers are matched on: upper case, without
// the spaces, dashes and leading apostrophes spreadsheets and scanners add. It
// returns "" for anything that is not 6 to 40 letters and digits afterwards.
func NormaliseWaybill(s string) string {
	if len(s) >= 6 && len(s) <= 40 && upperAlnum(s) {
		return s // already normalised: most bills' numbers are
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.TrimLeft(strings.TrimSpace(s), "'") {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == ' ' || r == '-' || r == '\t':
		default:
			return ""
		}
	}
	if b.Len() < 6 || b.Len() > 40 {
		return ""
	}
	return b.String()
}

func carrierCode(s string) bool {
	if len(s) < 2 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

func divisionCode(s string) bool { return len(s) == 6 && allDigits(s) && s[0] != '0' }

func upperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
