package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"time"
)

// Planted billing errors, the classes of the answer key.
const (
	ClassOvercharge      = "overcharge"       // freight above the tariff
	ClassWeightInflation = "weight_inflation" // billed weight above the true chargeable weight
	ClassDuplicateLine   = "duplicate_line"   // a waybill billed a second time
	ClassUnknownWaybill  = "unknown_waybill"  // a waybill that is not ours
	ClassCancelledBilled = "cancelled_billed" // a cancelled order billed
)

// BillLine is one line of a bill. Money is in fen and weight in grams here; the file
// layouts convert (see WriteCSV).
type BillLine struct {
	No                                                       int // 1-based, the 序号 column
	Waybill                                                  string
	ShipDate                                                 time.Time
	Origin, Dest                                             string // province names
	Product                                                  string
	WeightGrams, ChargeGrams                                 int64
	L, W, H                                                  int64 // mm
	FreightFen, InsuranceFen, ReceiptFen, OtherFen, TotalFen int64
}

// AnswerKey is the truth about a bill: which lines are planted errors, and what each
// should have been.
type AnswerKey struct {
	Carrier string `json:"carrier"`
	Account string `json:"account"`
	Month   string `json:"month"`
	Lines   int    `json:"lines"`
	// Errors maps a line number (BillLine.No) to its planted error class.
	Errors map[int]string `json:"errors"`
	// CorrectTotalFen is, for each planted line, what it should have charged: the true
	// total for overcharge and weight inflation, 0 for lines that should not exist.
	CorrectTotalFen map[int]int64 `json:"correct_total_fen"`
	BilledTotalFen  int64         `json:"billed_total_fen"`
	TrueTotalFen    int64         `json:"true_total_fen"`
}

// Bill is a month's bill for one account.
type Bill struct {
	Carrier, Account, Month string
	Lines                   []BillLine
	Key                     AnswerKey
}

// Bill builds the bill of carrier ("sf" or "ems") for account (SF partnerID or EMS
// app key) and month ("2006-01", China time): a line per order created that month
// and not cancelled, priced by the simulator's tariff, with about errorShare of them
// carrying a planted error. The same simulator seed gives the same bill.
func (s *Sim) Bill(carrier, account, month string, errorShare float64) (*Bill, error) {
	if _, ok := tariffs[carrier]; !ok {
		return nil, fmt.Errorf("sim: bill: unknown carrier %q", carrier)
	}
	if errorShare < 0 || errorShare > 1 {
		return nil, errors.New("sim: bill: error share must be between 0 and 1")
	}
	start, err := time.ParseInLocation("2006-01", month, cst)
	if err != nil {
		return nil, fmt.Errorf("sim: bill: month: %w", err)
	}
	end := start.AddDate(0, 1, 0)
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", carrier, account, month)
	rng := rand.New(rand.NewPCG(s.cfg.Seed, h.Sum64()))

	s.mu.Lock()
	var live, cancelled []*parcel
	for _, p := range s.parcels {
		if p.Carrier != carrier || p.Account != account || p.Created.Before(start) || !p.Created.Before(end) {
			continue
		}
		if p.Cancelled {
			cancelled = append(cancelled, p)
		} else {
			live = append(live, p)
		}
	}
	s.mu.Unlock()

	b := &Bill{Carrier: carrier, Account: account, Month: month}
	type planted struct {
		line    BillLine
		class   string
		correct int64
	}
	var lines []planted
	unknown := 0
	for _, p := range live {
		truth := lineOf(p)
		if rng.Float64() >= errorShare {
			lines = append(lines, planted{truth, "", truth.TotalFen})
			continue
		}
		classes := []string{ClassOvercharge, ClassWeightInflation, ClassDuplicateLine, ClassUnknownWaybill}
		if len(cancelled) > 0 {
			classes = append(classes, ClassCancelledBilled)
		}
		switch class := classes[rng.IntN(len(classes))]; class {
		case ClassOvercharge:
			bad := truth
			bad.FreightFen = truth.FreightFen * int64(115+rng.IntN(36)) / 100
			bad.TotalFen = bad.FreightFen + bad.InsuranceFen + bad.ReceiptFen + bad.OtherFen
			lines = append(lines, planted{bad, class, truth.TotalFen})
		case ClassWeightInflation:
			t := tariffs[carrier]
			bad := truth
			extra := int64(1+rng.IntN(4)) * t.UnitGrams
			bad.WeightGrams += extra
			bad.ChargeGrams += extra
			bad.FreightFen = t.freight(zoneOf(p.From, p.To), bad.ChargeGrams)
			bad.TotalFen = bad.FreightFen + bad.InsuranceFen + bad.ReceiptFen + bad.OtherFen
			lines = append(lines, planted{bad, class, truth.TotalFen})
		case ClassDuplicateLine:
			lines = append(lines, planted{truth, "", truth.TotalFen}, planted{truth, class, 0})
		case ClassUnknownWaybill:
			unknown++
			stranger := truth
			stranger.Waybill = strangerWaybill(carrier, unknown)
			lines = append(lines, planted{truth, "", truth.TotalFen}, planted{stranger, class, 0})
		case ClassCancelledBilled:
			c := cancelled[0]
			cancelled = cancelled[1:]
			lines = append(lines, planted{truth, "", truth.TotalFen}, planted{lineOf(c), class, 0})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].line.ShipDate.Before(lines[j].line.ShipDate) })
	b.Key = AnswerKey{Carrier: carrier, Account: account, Month: month, Lines: len(lines),
		Errors: map[int]string{}, CorrectTotalFen: map[int]int64{}}
	for i, pl := range lines {
		pl.line.No = i + 1
		b.Lines = append(b.Lines, pl.line)
		b.Key.BilledTotalFen += pl.line.TotalFen
		b.Key.TrueTotalFen += pl.correct
		if pl.class != "" {
			b.Key.Errors[pl.line.No] = pl.class
			b.Key.CorrectTotalFen[pl.line.No] = pl.correct
		}
	}
	return b, nil
}

func lineOf(p *parcel) BillLine {
	c := price(p)
	return BillLine{Waybill: p.Waybill, ShipDate: p.Created, Origin: p.From.provinceName(), Dest: p.To.provinceName(),
		Product: productName(p.Carrier, p.Product), WeightGrams: p.Weight, ChargeGrams: c.ChargeGrams,
		L: p.L, W: p.W, H: p.H, FreightFen: c.Freight, InsuranceFen: c.Insurance, ReceiptFen: c.Receipt,
		OtherFen: c.Other, TotalFen: c.Total}
}

// strangerWaybill is a well-formed number the simulator never hands out (its own
// numbers start SF14 and 11).
func strangerWaybill(carrier string, n int) string {
	if carrier == "sf" {
		return fmt.Sprintf("SF15%011d", 70000000000+n)
	}
	return fmt.Sprintf("98%011d", 70000000000+n)
}

func productName(carrier, code string) string {
	names := map[string]map[string]string{
		"sf":  {"1": "顺丰特快", "2": "顺丰标快"},
		"ems": {"1": "标准快递", "2": "快递包裹", "3": "特快专递"},
	}
	if n, ok := names[carrier][code]; ok {
		return n
	}
	return code
}
