package settlement

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		dec  int
		want int64
		ok   bool
	}{
		{"12.30", 2, 1230, true}, {"12.3", 2, 1230, true}, {"12", 2, 1200, true}, {"-0.05", 2, -5, true},
		{"12.345", 2, 0, false}, {"1e3", 2, 0, false}, {"1,234.00", 2, 0, false}, {".5", 2, 0, false},
		{"5.", 2, 0, false}, {"", 2, 0, false}, {"--1", 2, 0, false}, {"1.2", 0, 0, false}, {"1200", 0, 1200, true},
		{"1.234", 3, 1234, true}, {" 7.5 ", 1, 75, true}, {"9999999999999999", 2, 0, false},
	} {
		got, err := parseDecimal(c.in, c.dec)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseDecimal(%q, %d) = %d, %v; want %d ok=%v", c.in, c.dec, got, err, c.want, c.ok)
		}
	}
}

func TestAllocateSumsExactly(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		total := rng.Int64N(10_000_000) - 1_000_000
		shares := make([]Share, 1+rng.IntN(40))
		for j := range shares {
			shares[j] = Share{Key: fmt.Sprintf("case-%03d", j), Weight: rng.Int64N(100_000)}
		}
		shares[0].Weight++ // at least some weight
		again := append([]Share(nil), shares...)
		if !Allocate(total, shares) || !Allocate(total, again) {
			t.Fatal("allocation refused")
		}
		var sum int64
		for j, s := range shares {
			sum += s.Amount
			if s.Amount != again[j].Amount {
				t.Fatalf("case %d: not deterministic", i)
			}
		}
		if sum != total {
			t.Fatalf("case %d: shares add up to %d, not %d", i, sum, total)
		}
	}
	// Equal weights: the leftover fen go to the lowest keys.
	s := []Share{{Key: "b", Weight: 1}, {Key: "a", Weight: 1}, {Key: "c", Weight: 1}}
	Allocate(100, s)
	if s[1].Amount != 34 || s[0].Amount != 33 || s[2].Amount != 33 {
		t.Fatalf("tie break: %+v", s)
	}
	// Products beyond 64 bits.
	big := []Share{{Key: "a", Weight: 1 << 40}, {Key: "b", Weight: 3 << 40}}
	Allocate(1<<50, big)
	if big[0].Amount+big[1].Amount != 1<<50 || big[0].Amount != 1<<48 {
		t.Fatalf("large: %+v", big)
	}
	if Allocate(5, []Share{{Key: "a"}}) {
		t.Fatal("allocated a payable over zero weight")
	}
}

// TestExpectedFeeTrace checks one fee by hand: 1.2 kg actual, 30×20×10 cm is 1 kg
// volumetric at 6000; chargeable rounds to 1.5 kg; Guangzhou → Foshan is in-province.
func TestExpectedFeeTrace(t *testing.T) {
	t.Parallel()
	tr := simTariffs()[0]
	tr.Body.Discounts = []Discount{{Name: "government contract", BP: 1000, Rounding: RoundHalfUp}}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	f, err := ExpectedFee(&tr, Parcel{Carrier: "sf", OriginDivision: "440106", DestDivision: "440604", WeightG: 1200,
		LengthMM: 300, WidthMM: 200, HeightMM: 100, Insured: true, DeclaredValueFen: 100000, ReturnReceipt: true,
		CreatedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, shanghai)})
	if err != nil {
		t.Fatal(err)
	}
	// freight 1400 + 1×300 = 1700, less 10 % = 1530; insurance 0.5 % of 1000 yuan = 500; receipt 1000.
	if f.VolumetricG != 1000 || f.ChargeableG != 1500 || f.Zone != "province" || f.FreightFen != 1530 || f.DiscountFen != 170 ||
		f.InsuranceFen != 500 || f.ReceiptFen != 1000 || f.TotalFen != 3030 || len(f.Trace) < 8 {
		t.Fatalf("fee %+v", f)
	}
	f, _ = ExpectedFee(&tr, Parcel{Carrier: "sf", OriginDivision: "440106", DestDivision: "650102", WeightG: 800})
	if f.Zone != "national" || f.TotalFen != 2300-230+2000 {
		t.Fatalf("remote national fee %+v", f)
	}
}

func TestTariffPick(t *testing.T) {
	t.Parallel()
	mk := func(id int64, product, account string, v int, from, to string) *Tariff {
		return &Tariff{ID: id, Carrier: "sf", Product: product, Account: account, Version: v, EffectiveFrom: from, EffectiveTo: to}
	}
	ts := tariffSet{mk(1, "", "", 1, "2024-01-01", ""), mk(2, "", "P1", 1, "2025-01-01", "2025-04-01"),
		mk(3, "", "P1", 2, "2025-03-15", ""), mk(4, "顺丰特快", "", 1, "2025-01-01", "")}
	at := func(d string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02", d, shanghai)
		return t.Add(time.Hour)
	}
	for _, c := range []struct {
		product, account, day string
		want                  int64
	}{{"顺丰标快", "P1", "2025-03-01", 2}, {"顺丰标快", "P1", "2025-03-20", 3}, {"顺丰标快", "P2", "2025-03-20", 1},
		{"顺丰特快", "P1", "2025-03-20", 4}, {"顺丰标快", "P1", "2024-06-01", 1}} {
		if got := ts.pick("sf", c.product, c.account, at(c.day)); got == nil || got.ID != c.want {
			t.Errorf("pick(%s, %s, %s) = %v, want %d", c.product, c.account, c.day, got, c.want)
		}
	}
	if ts.pick("ems", "", "", at("2025-03-01")) != nil {
		t.Error("picked a tariff of another carrier")
	}
}

func TestPeriods(t *testing.T) {
	t.Parallel()
	// 00:30 on 1 April in China is still 31 March in UTC: it belongs to April.
	if p := PeriodOf(time.Date(2025, 3, 31, 16, 30, 0, 0, time.UTC)); p != "2025-04" {
		t.Fatalf("period %s", p)
	}
	if mustPeriod("2025-01").Prev() != "2024-12" {
		t.Fatal("prev")
	}
	for _, bad := range []string{"2025-13", "2025-3", "25-03", "2025-03-01"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("period %q accepted", bad)
		}
	}
}

func TestWaybillEventValidation(t *testing.T) {
	t.Parallel()
	good := sampleEvent("SF1400000000001")
	if err := good.Validate(TypeWaybillCreated); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*WaybillEvent){
		"carrier":  func(e *WaybillEvent) { e.Carrier = "SF Express" },
		"waybill":  func(e *WaybillEvent) { e.Waybill = "SF1?" },
		"weight":   func(e *WaybillEvent) { e.WeightG = 0 },
		"dims":     func(e *WaybillEvent) { e.HeightMM = 0 },
		"insured":  func(e *WaybillEvent) { e.DeclaredValueFen = 0 },
		"origin":   func(e *WaybillEvent) { e.OriginDivision = "4401" },
		"case":     func(e *WaybillEvent) { e.CaseID = "x" },
		"created":  func(e *WaybillEvent) { e.CreatedAt = time.Time{} },
		"dept":     func(e *WaybillEvent) { e.Department = " " },
		"voidedAt": func(e *WaybillEvent) { e.VoidedAt = time.Now() },
	} {
		e := good
		mut(&e)
		if err := e.Validate(TypeWaybillCreated); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if NormaliseWaybill(" sf-1400 0000 0001 ") != "SF140000000001" || NormaliseWaybill("'1100000000001") != "1100000000001" {
		t.Fatal("normalise")
	}
}
