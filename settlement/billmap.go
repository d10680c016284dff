package settlement

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// BillLayout maps one carrier's bill columns to bill line fields. Carriers change
// their exports, so layouts are data: the built-in ones (layouts.json) can be replaced
// or extended by a file named in the configuration.
type BillLayout struct {
	// Columns maps a field to the header text of its column. Fields: seq, waybill,
	// ship_date, origin, destination, product, weight, charge_weight, dims (one "L*W*H"
	// column) or length/width/height, freight, insurance, receipt, other, total.
	Columns    map[string]string `json:"columns"`
	MoneyUnit  string            `json:"money_unit"`  // "yuan" (two decimals at most) or "fen" (whole)
	WeightUnit string            `json:"weight_unit"` // "kg" (three decimals at most) or "g"
	DimsUnit   string            `json:"dims_unit"`   // "cm" (one decimal at most) or "mm"
	DateLayout string            `json:"date_layout"` // Go layout, e.g. "2006-01-02"
	// SkipPrefixes mark summary rows ("合计") whose first cell starts with one.
	SkipPrefixes []string `json:"skip_prefixes,omitempty"`
}

// requiredFields must have a column in every layout.
var requiredFields = []string{"waybill", "ship_date", "freight", "total"}

var knownFields = map[string]bool{"seq": true, "waybill": true, "ship_date": true, "origin": true, "destination": true,
	"product": true, "weight": true, "charge_weight": true, "dims": true, "length": true, "width": true, "height": true,
	"freight": true, "insurance": true, "receipt": true, "other": true, "total": true}

//go:embed layouts.json
var builtinLayouts []byte

// Layouts are the bill layouts by carrier code.
type Layouts map[string]BillLayout

// LoadLayouts returns the built-in layouts, overlaid by the JSON file at path when
// path is not empty (same shape as layouts.json; a carrier in the file replaces the
// built-in layout of that carrier).
func LoadLayouts(path string) (Layouts, error) {
	ls := Layouts{}
	if err := json.Unmarshal(builtinLayouts, &ls); err != nil {
		return nil, fmt.Errorf("settlement: built-in layouts: %w", err)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("settlement: bill layouts: %w", err)
		}
		extra := Layouts{}
		if err := json.Unmarshal(b, &extra); err != nil {
			return nil, fmt.Errorf("settlement: bill layouts %s: %w", path, err)
		}
		for c, l := range extra {
			ls[c] = l
		}
	}
	for c, l := range ls {
		if err := l.validate(); err != nil {
			return nil, fmt.Errorf("settlement: bill layout %s: %w", c, err)
		}
	}
	return ls, nil
}

func (l BillLayout) validate() error {
	for _, f := range requiredFields {
		if l.Columns[f] == "" {
			return fmt.Errorf("no column for %s", f)
		}
	}
	for f := range l.Columns {
		if !knownFields[f] {
			return fmt.Errorf("unknown field %q", f)
		}
	}
	switch {
	case l.MoneyUnit != "yuan" && l.MoneyUnit != "fen":
		return fmt.Errorf("money_unit must be yuan or fen")
	case l.WeightUnit != "kg" && l.WeightUnit != "g":
		return fmt.Errorf("weight_unit must be kg or g")
	case l.DimsUnit != "cm" && l.DimsUnit != "mm":
		return fmt.Errorf("dims_unit must be cm or mm")
	case l.DateLayout == "":
		return fmt.Errorf("date_layout is required")
	}
	return nil
}

// header finds each mapped column in a header row. A required column that is
// missing fails the whole file: every row would be wrong the same way.
func (l BillLayout) header(cells []string) (map[string]int, error) {
	pos := map[string]int{}
	for i, c := range cells {
		pos[strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))] = i
	}
	idx := map[string]int{}
	var missing []string
	for f, h := range l.Columns {
		i, ok := pos[h]
		if !ok {
			if isRequired(f) {
				missing = append(missing, h)
			}
			continue
		}
		idx[f] = i
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing column(s) %s", strings.Join(sortedStrings(missing), ", "))
	}
	return idx, nil
}

func isRequired(f string) bool {
	for _, r := range requiredFields {
		if r == f {
			return true
		}
	}
	return false
}
