package settlement

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
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

// FuzzCSVSource: the hand split of quote-free lines reads every file exactly as
// encoding/csv does (rows, their numbers, row errors), and the raw line it keeps is
// what joinCells makes of the cells.
func FuzzCSVSource(f *testing.F) {
	f.Add([]byte(sfHeader + "1,SF1,2025-03-05\r\n\r\n2, SF2 ,x\r\n"))
	f.Add([]byte("a,b\r\r\nc\rd,e\n\n,\nlast\r"))
	f.Add([]byte("a,b\nc,\"d\ne\",f\n\"bad\"x,1\ng,h\n"))
	f.Add([]byte("x\n" + strings.Repeat("y", 70000) + ",z\nw\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		type row struct {
			n     int
			cells string
			err   string
		}
		read := func(next func() (int, []string, error)) (rows []row) {
			for range 1000 {
				n, cells, err := next()
				var re *rowError
				switch {
				case errors.As(err, &re):
					rows = append(rows, row{n: n, err: re.Reason})
				case err != nil:
					return append(rows, row{err: err.Error()})
				default:
					rows = append(rows, row{n: n, cells: strings.Join(cells, "\x00")})
				}
			}
			return rows
		}
		ref := csv.NewReader(bytes.NewReader(data))
		ref.FieldsPerRecord = -1
		want := read(func() (int, []string, error) {
			rec, err := ref.Read()
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return pe.StartLine, nil, &rowError{Row: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()}
			}
			if err != nil {
				return 0, nil, err
			}
			line, _ := ref.FieldPos(0)
			return line, rec, nil
		})
		src := newCSVSource(bytes.NewReader(data))
		got := read(func() (int, []string, error) {
			n, cells, err := src.Next()
			if raw, ok := src.rawLine(); ok && err == nil && joinCells(cells) != raw {
				t.Fatalf("raw line %q, cells join to %q", raw, joinCells(cells))
			}
			return n, cells, err
		})
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read\n%q\nas\n%+v\nnot\n%+v", data, got, want)
		}
	})
}

// FuzzPlainDecimal: the quick way reads a number only when the careful way reads it
// the same.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"12", "-3.5", "0.05", "1.234", "+1", " 2", "1.", ".5", "-", "1234567890123456", "999999999999999.99"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, maxDec int) {
		maxDec = (maxDec%4 + 4) % 4
		v, ok := plainDecimal(s, maxDec)
		w, err := parseDecimal(s, maxDec)
		if ok && (err != nil || v != w) {
			t.Fatalf("%q: quick %d, careful %d %v", s, v, w, err)
		}
	})
}

// FuzzTrim: the quick trim is strings.TrimSpace.
func FuzzTrim(f *testing.F) {
	for _, s := range []string{"广东省", " 广东省", "广东省\u3000", "\u00a0x", "SF1", "", "\xe5\x80", "a\xe5\x80\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if trim(s) != strings.TrimSpace(s) {
			t.Fatalf("%q: %q, not %q", s, trim(s), strings.TrimSpace(s))
		}
	})
}
