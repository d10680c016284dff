package settlement

import (
	"fmt"
	"time"
)

// Parcel is what the fee depends on: the waybill as the hall recorded it at dispatch.
type Parcel struct {
	Carrier, Product, Account    string
	OriginDivision, DestDivision string
	WeightG                      int64
	LengthMM, WidthMM, HeightMM  int64
	Insured                      bool
	DeclaredValueFen             int64
	ReturnReceipt                bool
	CreatedAt                    time.Time
}

// Fee is an expected fee and how it was reached, step by step, so a finance clerk
// (and the carrier, in a dispute file) can follow every number.
type Fee struct {
	TariffID        int64  `json:"tariff_id"`
	TariffVersion   int    `json:"tariff_version"`
	ActualG         int64  `json:"actual_g"`
	VolumetricG     int64  `json:"volumetric_g"`
	ChargeableG     int64  `json:"chargeable_g"`
	Zone            string `json:"zone"`
	FirstFen        int64  `json:"first_fen"`
	AdditionalUnits int64  `json:"additional_units"`
	AdditionalFen   int64  `json:"additional_fen"`
	DiscountFen     int64  `json:"discount_fen"`
	FreightFen      int64  `json:"freight_fen"`
	InsuranceFen    int64  `json:"insurance_fen"`
	ReceiptFen      int64  `json:"receipt_fen"`
	OtherFen        int64  `json:"other_fen"` // packaging and remote area
	TotalFen        int64  `json:"total_fen"`
	Trace           []Step `json:"trace"`
}

// Step is one line of the trace.
type Step struct {
	Step   string `json:"step"`
	Detail string `json:"detail"`
	Value  int64  `json:"value"`
	Unit   string `json:"unit"` // "g" or "fen"
}

// ExpectedFee prices a parcel by a tariff. It never touches a float: weights round up
// to whole units, rates apply in basis points with the tariff's rounding.
func ExpectedFee(t *Tariff, p Parcel) (Fee, error) { return expectedFee(t, p, true) }

// expectedFee is ExpectedFee; reconciliation prices a million lines and asks for the
// numbers only, since formatting the trace costs more than the arithmetic.
func expectedFee(t *Tariff, p Parcel, trace bool) (Fee, error) {
	b := &t.Body
	f := Fee{TariffID: t.ID, TariffVersion: t.Version, ActualG: p.WeightG}
	step := func(name string, v int64, unit, format string, args ...any) {
		if trace {
			f.Trace = append(f.Trace, Step{Step: name, Detail: fmt.Sprintf(format, args...), Value: v, Unit: unit})
		}
	}
	if trace {
		step("tariff", t.ID, "", "%s tariff %d version %d (product %q, account %q, effective %s)", t.Carrier, t.ID, t.Version, t.Product, t.Account, t.EffectiveFrom)
	}
	if p.LengthMM > 0 && p.WidthMM > 0 && p.HeightMM > 0 {
		f.VolumetricG = divRound(p.LengthMM*p.WidthMM*p.HeightMM, b.VolumetricDivisor, RoundUp)
	}
	if trace {
		step("volumetric weight", f.VolumetricG, "g", "%d×%d×%d mm ÷ %d, rounded up", p.LengthMM, p.WidthMM, p.HeightMM, b.VolumetricDivisor)
	}
	g := max(p.WeightG, f.VolumetricG)
	if g <= b.FirstWeightG {
		f.ChargeableG = b.FirstWeightG
	} else {
		f.AdditionalUnits = divRound(g-b.FirstWeightG, b.RoundingUnitG, RoundUp)
		f.ChargeableG = b.FirstWeightG + f.AdditionalUnits*b.RoundingUnitG
	}
	if trace {
		step("chargeable weight", f.ChargeableG, "g", "max(actual %d g, volumetric %d g) = %d g; first %d g + %d × %d g",
			p.WeightG, f.VolumetricG, g, b.FirstWeightG, f.AdditionalUnits, b.RoundingUnitG)
	}
	zone, rule, err := b.zoneOf(p.OriginDivision, p.DestDivision)
	if err != nil {
		return Fee{}, fmt.Errorf("settlement: expected fee: %w", err)
	}
	f.Zone = zone
	if trace {
		step("zone", 0, "", "%s → %s: zone %q by rule %d (%s)", p.OriginDivision, p.DestDivision, zone, rule+1, ruleText(b.ZoneRules[rule]))
	}
	zp := b.Zones[zone]
	f.FirstFen = zp.FirstFen
	f.AdditionalFen = f.AdditionalUnits * zp.AdditionalFen
	if trace {
		step("first weight", f.FirstFen, "fen", "zone %q first %d g", zone, b.FirstWeightG)
	}
	if trace {
		step("additional weight", f.AdditionalFen, "fen", "%d units × %d fen", f.AdditionalUnits, zp.AdditionalFen)
	}
	f.FreightFen = f.FirstFen + f.AdditionalFen
	for _, d := range b.Discounts {
		if d.Zone != "" && d.Zone != zone {
			continue
		}
		off := applyBP(f.FreightFen, d.BP, d.Rounding)
		f.DiscountFen += off
		f.FreightFen -= off
		if trace {
			step("discount", -off, "fen", "%s: %d bp of the freight, rounded %s", d.Name, d.BP, d.Rounding)
		}
	}
	if trace {
		step("freight", f.FreightFen, "fen", "first + additional − discounts")
	}
	s := b.Surcharges
	if p.Insured && s.InsuranceBP > 0 {
		f.InsuranceFen = max(s.InsuranceMinFen, applyBP(p.DeclaredValueFen, s.InsuranceBP, s.InsuranceRounding))
		if trace {
			step("insurance", f.InsuranceFen, "fen", "%d bp of declared %d fen, rounded %s, at least %d", s.InsuranceBP, p.DeclaredValueFen, s.InsuranceRounding, s.InsuranceMinFen)
		}
	}
	if p.ReturnReceipt {
		f.ReceiptFen = s.ReturnReceiptFen
		if trace {
			step("return receipt", f.ReceiptFen, "fen", "signed receipt returned")
		}
	}
	if s.PackagingFen > 0 {
		f.OtherFen += s.PackagingFen
		if trace {
			step("packaging", s.PackagingFen, "fen", "per parcel")
		}
	}
	if fen := s.RemoteAreaFen[p.DestDivision[:2]]; fen > 0 {
		f.OtherFen += fen
		if trace {
			step("remote area", fen, "fen", "destination province %s", p.DestDivision[:2])
		}
	}
	f.TotalFen = f.FreightFen + f.InsuranceFen + f.ReceiptFen + f.OtherFen
	if trace {
		step("total", f.TotalFen, "fen", "freight + insurance + receipt + other")
	}
	return f, nil
}
