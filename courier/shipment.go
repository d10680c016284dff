package courier

import (
	"errors"
	"fmt"
	"strings"
)

// Party is a sender or recipient. Name, phone and address are personal data: adapters
// send them to the carrier and nowhere else, and never log them.
type Party struct {
	Name    string
	Phone   string
	Company string // the hall or office, optional
	// Province, City and County are optional when Address already names them; carriers
	// parse the full address either way.
	Province, City, County string
	Address                string
	// DivisionCode is the six-digit administrative division code (GB/T 2260) of the
	// address. Its first two digits name the province, which is how tariffs are zoned.
	DivisionCode string
}

// Shipment is a request to send one parcel.
type Shipment struct {
	// OrderID is our order number at the carrier, from OrderID(caseID, parcelNo), so a
	// retried create reuses it and the carrier can refuse a duplicate.
	OrderID string
	// Product is the carrier's product code (SF expressTypeId such as "1" 顺丰特快 or
	// "2" 顺丰标快; EMS bizProductNo). Empty takes the adapter's default.
	Product           string
	Sender, Recipient Party
	WeightGrams       int64
	// Dimensions in millimetres; zero when unknown.
	LengthMM, WidthMM, HeightMM int64
	// DeclaredValueFen is the declared value in fen (0.01 yuan); it is what insurance covers.
	DeclaredValueFen int64
	Insured          bool
	ReturnReceipt    bool   // 签回单: the signed receipt travels back to the sender
	Contents         string // what the carrier prints as cargo, e.g. "政务文书"; never personal data
}

// Order is what a carrier answered to a create.
type Order struct {
	OrderID string
	Waybill string
	// QuotedFeeFen is the fee the carrier quoted at creation in fen, or 0 when its
	// answer carries no quote (the bill is the authority either way).
	QuotedFeeFen int64
}

// MaxOrderIDLen is the shortest order-number limit among our carriers.
const MaxOrderIDLen = 32

// Validate checks the fields every carrier needs and names the first bad one.
func (s Shipment) Validate() error {
	var errs []error
	if s.OrderID == "" || len(s.OrderID) > MaxOrderIDLen {
		errs = append(errs, fmt.Errorf("order id must be 1..%d characters", MaxOrderIDLen))
	}
	if s.WeightGrams <= 0 {
		errs = append(errs, errors.New("weight must be positive"))
	}
	if s.LengthMM < 0 || s.WidthMM < 0 || s.HeightMM < 0 {
		errs = append(errs, errors.New("dimensions must not be negative"))
	}
	if s.DeclaredValueFen < 0 || (s.Insured && s.DeclaredValueFen == 0) {
		errs = append(errs, errors.New("insurance needs a positive declared value"))
	}
	errs = append(errs, s.Sender.validate("sender"), s.Recipient.validate("recipient"))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("courier: validate shipment: %w", err)
	}
	return nil
}

func (p Party) validate(role string) error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return fmt.Errorf("%s name is empty", role)
	case strings.TrimSpace(p.Phone) == "":
		return fmt.Errorf("%s phone is empty", role)
	case strings.TrimSpace(p.Address) == "":
		return fmt.Errorf("%s address is empty", role)
	case !isDivisionCode(p.DivisionCode):
		return fmt.Errorf("%s division code must be six digits", role)
	}
	return nil
}

func isDivisionCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ProvinceCode is the first two digits of the division code, or "" when it has none.
func (p Party) ProvinceCode() string {
	if !isDivisionCode(p.DivisionCode) {
		return ""
	}
	return p.DivisionCode[:2]
}
