package sim

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/sf"
)

// monthOfOrders books n SF and n EMS orders over March 2025 and cancels a few.
func monthOfOrders(t *testing.T, n int) *Sim {
	t.Helper()
	s := testSim(t, Faults{})
	for i := range n {
		msg := strings.Replace(sfOrder, `"O1"`, fmt.Sprintf(`"O%03d"`, i), 1)
		sfCall(t, s, sf.ServiceCreateOrder, msg)
		biz := fmt.Sprintf(`{"logisticsOrderNo":"L%03d","senderNo":"S1","bizProductNo":"1","weight":%d,"length":300,"width":200,"height":%d,
			"insuranceFlag":"2","declaredValue":20000,"sender":{"areaCode":"440106"},"receiver":{"areaCode":"%s"}}`,
			i, 300+i*97, 10+i, []string{"440104", "440305", "110105", "650102"}[i%4])
		post(s, "/ems/api/gateway", ems.SignedForm("E1", "es", ems.MethodCreate, biz, time.Now()))
		if i%10 == 9 {
			sfCall(t, s, sf.ServiceUpdateOrder, fmt.Sprintf(`{"orderId":"O%03d","dealType":2}`, i))
			post(s, "/ems/api/gateway", ems.SignedForm("E1", "es", ems.MethodCancel, fmt.Sprintf(`{"logisticsOrderNo":"L%03d"}`, i), time.Now()))
		}
		s.mu.Lock()
		s.now = s.now.Add(11 * time.Hour)
		s.mu.Unlock()
	}
	return s
}

func TestBillAnswerKey(t *testing.T) {
	t.Parallel()
	s := monthOfOrders(t, 50)
	for _, carrier := range []string{"sf", "ems"} {
		account := map[string]string{"sf": "P1", "ems": "E1"}[carrier]
		clean, err := s.Bill(carrier, account, "2025-03", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(clean.Key.Errors) != 0 || clean.Key.BilledTotalFen != clean.Key.TrueTotalFen || len(clean.Lines) != 45 {
			t.Fatalf("%s clean bill: %d lines, key %+v", carrier, len(clean.Lines), clean.Key)
		}
		b, err := s.Bill(carrier, account, "2025-03", 0.3)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := s.Bill(carrier, account, "2025-03", 0.3)
		if fmt.Sprint(again.Key) != fmt.Sprint(b.Key) {
			t.Fatal("the same bill came out differently")
		}
		if len(b.Key.Errors) < 5 {
			t.Fatalf("%s: only %d planted errors at 30%%", carrier, len(b.Key.Errors))
		}
		checkKey(t, clean, b)
	}
}

// checkKey checks every planted error against the clean bill, the truth.
func checkKey(t *testing.T, clean, b *Bill) {
	t.Helper()
	truth := map[string]BillLine{}
	for _, l := range clean.Lines {
		truth[l.Waybill] = l
	}
	seen := map[string]int{}
	var trueTotal int64
	for _, l := range b.Lines {
		seen[l.Waybill]++
		class := b.Key.Errors[l.No]
		want, ours := truth[l.Waybill]
		switch class {
		case "":
			if !ours || l != withNo(want, l.No) {
				t.Errorf("line %d is unmarked but differs from the truth: %+v vs %+v", l.No, l, want)
			}
			trueTotal += l.TotalFen
		case ClassOvercharge:
			if !ours || l.FreightFen <= want.FreightFen || b.Key.CorrectTotalFen[l.No] != want.TotalFen {
				t.Errorf("line %d overcharge: %+v vs %+v", l.No, l, want)
			}
			trueTotal += want.TotalFen
		case ClassWeightInflation:
			if !ours || l.ChargeGrams <= want.ChargeGrams || l.TotalFen <= want.TotalFen {
				t.Errorf("line %d weight inflation: %+v vs %+v", l.No, l, want)
			}
			trueTotal += want.TotalFen
		case ClassDuplicateLine:
			if !ours || seen[l.Waybill] != 2 {
				t.Errorf("line %d duplicate: seen %d", l.No, seen[l.Waybill])
			}
		case ClassUnknownWaybill, ClassCancelledBilled:
			if ours {
				t.Errorf("line %d %s names one of our live waybills", l.No, class)
			}
		}
	}
	if trueTotal != b.Key.TrueTotalFen {
		t.Errorf("true total %d, key says %d", trueTotal, b.Key.TrueTotalFen)
	}
}

func withNo(l BillLine, no int) BillLine { l.No = no; return l }

func TestBillFiles(t *testing.T) {
	t.Parallel()
	s := monthOfOrders(t, 20)
	for _, carrier := range []string{"sf", "ems"} {
		b, err := s.Bill(carrier, map[string]string{"sf": "P1", "ems": "E1"}[carrier], "2025-03", 0.2)
		if err != nil {
			t.Fatal(err)
		}
		var utf, gbk, x bytes.Buffer
		if err := b.WriteCSV(&utf, false); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteCSV(&gbk, true); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteXLSX(&x); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(utf.Bytes(), []byte("\ufeff")) || !bytes.Contains(utf.Bytes(), []byte("\r\n")) {
			t.Fatal("UTF-8 CSV lacks its BOM or CRLF")
		}
		fromUTF := readCSV(t, bytes.TrimPrefix(utf.Bytes(), []byte("\ufeff")))
		dec, err := simplifiedchinese.GBK.NewDecoder().Bytes(gbk.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(dec, gbk.Bytes()) {
			t.Fatal("GBK CSV is not GBK")
		}
		fromGBK := readCSV(t, dec)
		fromXLSX := readXLSX(t, x.Bytes())
		if fmt.Sprint(fromUTF) != fmt.Sprint(fromGBK) || fmt.Sprint(fromUTF) != fmt.Sprint(fromXLSX) {
			t.Fatalf("%s: the three files disagree:\n%v\n%v\n%v", carrier, fromUTF[:2], fromGBK[:2], fromXLSX[:2])
		}
		if len(fromUTF) != len(b.Lines)+1 {
			t.Fatalf("%d rows for %d lines", len(fromUTF), len(b.Lines))
		}
		// The totals column adds up to the key's billed total.
		var sum int64
		for _, row := range fromUTF[1:] {
			sum += money(t, carrier, row[len(row)-1])
		}
		if sum != b.Key.BilledTotalFen {
			t.Fatalf("%s: file total %d, key %d", carrier, sum, b.Key.BilledTotalFen)
		}
		if carrier == "sf" && fromUTF[0][6] != "实际重量(kg)" || carrier == "ems" && fromUTF[0][6] != "重量(克)" {
			t.Fatalf("%s header: %v", carrier, fromUTF[0])
		}
	}
}

func money(t *testing.T, carrier, s string) int64 {
	if carrier == "ems" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	yuan, fen, ok := strings.Cut(s, ".")
	y, err1 := strconv.ParseInt(yuan, 10, 64)
	f, err2 := strconv.ParseInt(fen, 10, 64)
	if !ok || len(fen) != 2 || err1 != nil || err2 != nil {
		t.Fatalf("money %q", s)
	}
	return y*100 + f
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// readXLSX reads the one sheet back with nothing but zip and xml.
func readXLSX(t *testing.T, b []byte) [][]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var sheet []byte
	for _, f := range z.File {
		names[f.Name] = true
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := f.Open()
			sheet, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	for _, n := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		if !names[n] {
			t.Fatalf("xlsx lacks %s", n)
		}
	}
	var ws struct {
		Rows []struct {
			Cells []struct {
				Ref  string `xml:"r,attr"`
				Type string `xml:"t,attr"`
				V    string `xml:"v"`
				T    string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(sheet, &ws); err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, r := range ws.Rows {
		var row []string
		for _, c := range r.Cells {
			col := 0
			for _, ch := range c.Ref {
				if ch >= 'A' && ch <= 'Z' {
					col = col*26 + int(ch-'A'+1)
				}
			}
			for len(row) < col {
				row = append(row, "")
			}
			if c.Type == "inlineStr" {
				row[col-1] = c.T
			} else {
				row[col-1] = c.V
			}
		}
		out = append(out, row)
	}
	// Trailing empty cells are not written; pad to the header's width.
	for i := range out {
		for len(out[i]) < len(out[0]) {
			out[i] = append(out[i], "")
		}
	}
	return out
}

func TestColumn(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := column(i); got != want {
			t.Errorf("column(%d) = %s, want %s", i, got, want)
		}
	}
}

func TestBillEndpoint(t *testing.T) {
	t.Parallel()
	s := monthOfOrders(t, 5)
	for _, format := range []string{"csv", "csv-gbk", "xlsx", "key"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sim/bills?carrier=sf&account=P1&month=2025-03&error_share=0.5&format="+format, nil))
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Fatalf("%s: %d %s", format, rec.Code, rec.Body)
		}
		if format == "key" {
			var k AnswerKey
			if err := json.Unmarshal(rec.Body.Bytes(), &k); err != nil || k.Lines == 0 {
				t.Fatalf("key: %v %+v", err, k)
			}
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sim/bills?carrier=dhl&account=P1&month=2025-03", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("unknown carrier: %d", rec.Code)
	}
}
