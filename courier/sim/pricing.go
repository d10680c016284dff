package sim

// Prices are data: a tariff per carrier, zoned by origin and destination. The numbers
// are plausible list prices, not any real contract.

type zone int

const (
	zoneCity     zone = iota // same prefecture (first four digits of the division code)
	zoneProvince             // same province
	zoneNational             // across provinces
)

type tariff struct {
	Divisor    int64 // volumetric divisor, cm³ per kg
	FirstGrams int64 // first-weight band
	UnitGrams  int64 // additional-weight rounding unit
	First, Add [3]int64
	InsurePerK int64 // insurance per mille of the declared value
	InsureMin  int64
	Receipt    int64            // return of the signed receipt
	Remote     map[string]int64 // remote-area surcharge by destination province
}

var remote = map[string]int64{"54": 2000, "65": 2000, "63": 1500}

var tariffs = map[string]tariff{
	"sf": {Divisor: 6000, FirstGrams: 1000, UnitGrams: 500,
		First: [3]int64{1200, 1400, 2300}, Add: [3]int64{200, 300, 650},
		InsurePerK: 5, InsureMin: 100, Receipt: 1000, Remote: remote},
	"ems": {Divisor: 8000, FirstGrams: 1000, UnitGrams: 1000,
		First: [3]int64{1000, 1200, 2000}, Add: [3]int64{200, 400, 1000},
		InsurePerK: 10, InsureMin: 100, Receipt: 500, Remote: remote},
}

func zoneOf(from, to place) zone {
	switch {
	case len(from.Code) == 6 && len(to.Code) == 6 && from.Code[4:] != "00" && from.Code[:4] == to.Code[:4]:
		return zoneCity
	case from.province() != "" && from.province() == to.province():
		return zoneProvince
	}
	return zoneNational
}

// charges are the lines of one waybill, in fen and grams.
type charges struct {
	ChargeGrams                               int64
	Freight, Insurance, Receipt, Other, Total int64
}

// chargeGrams is max(actual, volumetric) rounded up to the tariff's unit above the
// first band; volumetric grams = L×W×H (mm³) ÷ divisor, since mm³/1000 is cm³ and
// kg×1000 is grams.
func (t tariff) chargeGrams(actual, l, w, h int64) int64 {
	g := max(actual, ceilDiv(l*w*h, t.Divisor))
	if g <= t.FirstGrams {
		return t.FirstGrams
	}
	return t.FirstGrams + ceilDiv(g-t.FirstGrams, t.UnitGrams)*t.UnitGrams
}

func (t tariff) freight(z zone, chargeGrams int64) int64 {
	return t.First[z] + (chargeGrams-t.FirstGrams)/t.UnitGrams*t.Add[z]
}

func price(p *parcel) charges {
	t := tariffs[p.Carrier]
	c := charges{ChargeGrams: t.chargeGrams(p.Weight, p.L, p.W, p.H)}
	c.Freight = t.freight(zoneOf(p.From, p.To), c.ChargeGrams)
	if p.Insured {
		c.Insurance = max(t.InsureMin, ceilDiv(p.Declared*t.InsurePerK, 1000))
	}
	if p.Receipt {
		c.Receipt = t.Receipt
	}
	c.Other = t.Remote[p.To.province()]
	c.Total = c.Freight + c.Insurance + c.Receipt + c.Other
	return c
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
