package settlement

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzParseBillRow: any row either parses into a line whose charges add up, with a
// normalised waybill, or is refused with a reason; it never panics.
func FuzzParseBillRow(f *testing.F) {
	ls, _ := LoadLayouts("")
	header := strings.Split(strings.TrimSpace(sfHeader), ",")
	p, err := newRowParser(ls["sf"], header)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("1,SF1400000000001,2025-03-05,广东省,广东省,顺丰特快,1.2,1.5,30.0*20.0*10.0,17.00,0.00,0.00,0.00,17.00")
	f.Add("2,SF14,2025-03-05,广东省,北京市,顺丰特快,1.2,1.5,,17.005,0,0,0,17.005")
	f.Add("3,sf-1400 0000 0001,2025-03-05,x,y,z,-1,1e3,1*2,-5.00,0,0,0,-5.00")
	f.Fuzz(func(t *testing.T, row string) {
		cells := strings.Split(row, ",")
		l, err := p.parse(cells)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a reason")
			}
			return
		}
		if l.FreightFen+l.InsuranceFen+l.ReceiptFen+l.OtherFen != l.TotalFen || NormaliseWaybill(l.Waybill) != l.Waybill {
			t.Fatalf("accepted an inconsistent line %+v", l)
		}
		_ = p.fingerprint(cells)
	})
}

// FuzzDecodeCSV: any byte stream yields rows with increasing row numbers, row errors,
// or a file error; never a panic or an endless loop.
func FuzzDecodeCSV(f *testing.F) {
	f.Add([]byte("\xef\xbb\xbf" + sfHeader + "1,SF1,2025-03-05\r\n"))
	f.Add([]byte("a,\"b\nc\",d\r\n\"unterminated\r\n"))
	f.Add([]byte("\xb9\xe3\xb6\xab,\xca\xa1\r\n1,2\r\n"))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, _, _, err := openBill(bytes.NewReader(data), "")
		if err != nil {
			return
		}
		defer src.Close()
		last := 0
		for i := 0; i < 100000; i++ {
			row, _, err := src.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *rowError
			if err != nil && !errors.As(err, &re) {
				return
			}
			if row <= last {
				t.Fatalf("row %d after row %d", row, last)
			}
			last = row
		}
		t.Fatal("the decoder did not end")
	})
}
