package settlement

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// BillLine is one parsed bill row. Money is fen, weight grams, lengths millimetres;
// Origin and Destination are two-digit province codes ("" when the name is unknown).
type BillLine struct {
	Row                                                      int
	Waybill                                                  string // normalised
	ShipDate                                                 time.Time
	Origin, Destination, Product                             string
	WeightG, ChargeG, LengthMM, WidthMM, HeightMM            int64
	FreightFen, InsuranceFen, ReceiptFen, OtherFen, TotalFen int64
}

// rowParser parses the rows of one file once its header is known.
type rowParser struct {
	layout BillLayout
	idx    map[string]int
	col    [numFields]int    // idx by field number, -1 for a field the file lacks
	fp     []fpField         // the columns a fingerprint covers, in a fixed order
	prov   map[string]string // province names seen, to their codes
	fpBuf  []byte
}

// Fields a row is parsed from, numbered so a row looks its cells up by index rather
// than by name.
const (
	fWaybill = iota
	fShipDate
	fOrigin
	fDestination
	fProduct
	fWeight
	fChargeWeight
	fDims
	fLength
	fWidth
	fHeight
	fFreight
	fInsurance
	fReceipt
	fOther
	fTotal
	numFields
)

var fieldNames = [numFields]string{"waybill", "ship_date", "origin", "destination", "product", "weight", "charge_weight", "dims",
	"length", "width", "height", "freight", "insurance", "receipt", "other", "total"}

type fpField struct {
	name string
	col  int
}

func newRowParser(l BillLayout, header []string) (*rowParser, error) {
	idx, err := l.header(header)
	if err != nil {
		return nil, err
	}
	p := &rowParser{layout: l, idx: idx, prov: map[string]string{}}
	for f, name := range fieldNames {
		p.col[f] = -1
		if i, ok := idx[name]; ok {
			p.col[f] = i
		}
	}
	for _, f := range sortedKeys(idx) {
		if f != "seq" {
			p.fp = append(p.fp, fpField{f, idx[f]})
		}
	}
	return p, nil
}

// skip reports a summary row the layout says to ignore.
func (p *rowParser) skip(cells []string) bool {
	if len(cells) == 0 {
		return true
	}
	first := trim(cells[0])
	for _, pre := range p.layout.SkipPrefixes {
		if strings.HasPrefix(first, pre) {
			return true
		}
	}
	for _, c := range cells {
		if trim(c) != "" {
			return false
		}
	}
	return true
}

// trim is strings.TrimSpace, quick for a cell that starts and ends with a printable
// ASCII character or a CJK ideograph (no white space to trim, which is nearly every
// cell): ideographs are the runes whose UTF-8 lead byte is E4 to E9, and no white
// space rune has one of those.
func trim(c string) string {
	n := len(c)
	if n > 0 && (c[0] > ' ' && c[0] < 0x80 || c[0] >= 0xe4 && c[0] <= 0xe9) &&
		(c[n-1] > ' ' && c[n-1] < 0x80 || n >= 3 && c[n-3] >= 0xe4 && c[n-3] <= 0xe9 && c[n-2]&0xc0 == 0x80 && c[n-1]&0xc0 == 0x80) {
		return c
	}
	return strings.TrimSpace(c)
}

// cell returns the trimmed cell of field f, and whether the file has its column.
func (p *rowParser) cell(cells []string, f int) (string, bool) {
	i := p.col[f]
	if i < 0 {
		return "", false
	}
	if i >= len(cells) {
		return "", true
	}
	return trim(cells[i]), true
}

func (p *rowParser) bad(f int, why string) error {
	return fmt.Errorf("%s: %s", p.layout.Columns[fieldNames[f]], why)
}

// parse turns a row's cells into a line, or says what is wrong with the first bad
// cell, naming its column as the file does.
func (p *rowParser) parse(cells []string) (BillLine, error) {
	var l BillLine
	for _, c := range cells {
		if !utf8.ValidString(c) {
			return l, errors.New("cell is not valid text in the file's encoding (use encoding=gbk or utf-8)")
		}
	}
	w, _ := p.cell(cells, fWaybill)
	if l.Waybill = NormaliseWaybill(w); l.Waybill == "" {
		return l, p.bad(fWaybill, "waybill number must be 6 to 40 letters and digits")
	}
	d, _ := p.cell(cells, fShipDate)
	t, err := p.date(d)
	if err != nil || t.Year() < 2000 || t.Year() > 2099 {
		return l, p.bad(fShipDate, "date must look like "+p.layout.DateLayout)
	}
	l.ShipDate = t
	if s, ok := p.cell(cells, fOrigin); ok {
		l.Origin = p.province(s)
	}
	if s, ok := p.cell(cells, fDestination); ok {
		l.Destination = p.province(s)
	}
	if s, ok := p.cell(cells, fProduct); ok {
		if len(s) > 64 {
			return l, p.bad(fProduct, "longer than 64 bytes")
		}
		l.Product = s
	}
	for _, wf := range [...]struct {
		f   int
		dst *int64
	}{{fWeight, &l.WeightG}, {fChargeWeight, &l.ChargeG}} {
		if s, ok := p.cell(cells, wf.f); ok && s != "" {
			if *wf.dst, err = p.weight(s); err != nil {
				return l, p.bad(wf.f, err.Error())
			}
		}
	}
	if err := p.dims(cells, &l); err != nil {
		return l, err
	}
	for _, mf := range [...]struct {
		f        int
		dst      *int64
		optional bool
	}{{fFreight, &l.FreightFen, false}, {fInsurance, &l.InsuranceFen, true}, {fReceipt, &l.ReceiptFen, true},
		{fOther, &l.OtherFen, true}, {fTotal, &l.TotalFen, false}} {
		s, ok := p.cell(cells, mf.f)
		if !ok || (s == "" && mf.optional) {
			continue
		}
		if *mf.dst, err = p.money(s); err != nil {
			return l, p.bad(mf.f, err.Error())
		}
	}
	if sum := l.FreightFen + l.InsuranceFen + l.ReceiptFen + l.OtherFen; sum != l.TotalFen {
		return l, p.bad(fTotal, fmt.Sprintf("total %s is not the sum of the charges %s", Yuan(l.TotalFen), Yuan(sum)))
	}
	return l, nil
}

// date reads a ship date in the layout's form. The usual 2006-01-02 is read digit by
// digit (it is a good share of a row's parsing); anything else, including a date in
// that form that does not exist, goes through time.ParseInLocation.
func (p *rowParser) date(s string) (time.Time, error) {
	if p.layout.DateLayout == "2006-01-02" && len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(time.Month(m), y) {
			return time.Date(y, time.Month(m), d, 0, 0, 0, 0, shanghai), nil
		}
	}
	return time.ParseInLocation(p.layout.DateLayout, s, shanghai)
}

func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (p *rowParser) province(s string) string {
	if c, ok := p.prov[s]; ok {
		return c
	}
	c := provinceCode(s)
	if len(p.prov) < 1000 {
		p.prov[s] = c
	}
	return c
}

func (p *rowParser) money(s string) (int64, error) {
	if p.layout.MoneyUnit == "fen" {
		v, err := parseDecimal(s, 0)
		if err != nil {
			return 0, fmt.Errorf("amount %q is not whole fen: %v", s, err)
		}
		return checkRange(v, 1e11)
	}
	v, err := parseDecimal(s, 2)
	if err != nil {
		return 0, fmt.Errorf("amount %q is not yuan with at most two decimals: %v", s, err)
	}
	return checkRange(v, 1e11)
}

func (p *rowParser) weight(s string) (int64, error) {
	dec := 0
	if p.layout.WeightUnit == "kg" {
		dec = 3
	}
	v, err := parseDecimal(s, dec)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("weight %q is not a %s amount with at most %d decimals", s, p.layout.WeightUnit, dec)
	}
	return checkRange(v, 1e9)
}

func (p *rowParser) length(s string) (int64, error) {
	dec := 0
	if p.layout.DimsUnit == "cm" {
		dec = 1
	}
	v, err := parseDecimal(s, dec)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("length %q is not a %s amount with at most %d decimals", s, p.layout.DimsUnit, dec)
	}
	return checkRange(v, 1e6)
}

func (p *rowParser) dims(cells []string, l *BillLine) error {
	if s, ok := p.cell(cells, fDims); ok {
		if s == "" {
			return nil
		}
		parts := strings.FieldsFunc(s, func(r rune) bool { return r == '*' || r == 'x' || r == 'X' || r == '×' })
		if len(parts) != 3 {
			return fmt.Errorf("%s: dimensions %q must be L*W*H", p.layout.Columns["dims"], s)
		}
		dst := []*int64{&l.LengthMM, &l.WidthMM, &l.HeightMM}
		for i, part := range parts {
			v, err := p.length(part)
			if err != nil {
				return fmt.Errorf("%s: %v", p.layout.Columns["dims"], err)
			}
			*dst[i] = v
		}
		return nil
	}
	for _, f := range [...]struct {
		f   int
		dst *int64
	}{{fLength, &l.LengthMM}, {fWidth, &l.WidthMM}, {fHeight, &l.HeightMM}} {
		if s, ok := p.cell(cells, f.f); ok && s != "" {
			v, err := p.length(s)
			if err != nil {
				return fmt.Errorf("%s: %v", p.layout.Columns[fieldNames[f.f]], err)
			}
			*f.dst = v
		}
	}
	return nil
}

func checkRange(v, limit int64) (int64, error) {
	if v > limit || v < -limit {
		return 0, errors.New("amount out of range")
	}
	return v, nil
}

// fingerprint identifies a line by what it bills, not by where it sits: the serial
// number column and the row number are left out, so a re-export of the same bill in
// another order still matches line for line. Identical lines are told apart by an
// occurrence counter beside the fingerprint.
func (p *rowParser) fingerprint(cells []string) [16]byte {
	buf := p.fpBuf[:0]
	for _, f := range p.fp {
		v := ""
		if f.col < len(cells) {
			v = trim(cells[f.col])
		}
		buf = append(buf, f.name...)
		buf = append(buf, 0)
		buf = append(buf, v...)
		buf = append(buf, 0)
	}
	p.fpBuf = buf
	sum := sha256.Sum256(buf)
	var out [16]byte
	copy(out[:], sum[:16])
	return out
}

// provinces are the GB/T 2260 provincial divisions; bills name them in full or short.
var provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
	"33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
	"46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
	"54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
	"65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

// provinceCode reads a province name by its first two characters, which are unique
// among provinces (北京, 内蒙, 黑龙 ...), or a two-digit code; "" when unknown.
func provinceCode(s string) string {
	s = trim(s)
	if len(s) == 2 && allDigits(s) {
		if _, ok := provinces[s]; ok {
			return s
		}
	}
	r := []rune(s)
	if len(r) < 2 {
		return ""
	}
	head := string(r[:2])
	for code, name := range provinces {
		if strings.HasPrefix(name, head) {
			return code
		}
	}
	return ""
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
