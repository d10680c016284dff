package sim

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Bill file layouts, one per carrier, the way their exports look:
//
// SF ("sf"): 序号, 运单号, 寄件日期 (2006-01-02), 原寄地, 目的地 (province names),
// 产品类型, 实际重量(kg) and 计费重量(kg) with one decimal, 尺寸(cm) as L*W*H with one
// decimal (empty when unknown), then 运费(元), 保价费(元), 签回单费(元), 其他附加费(元)
// and 应付金额(元) in yuan with two decimals.
//
// EMS ("ems"): 序号, 邮件号, 收寄日期 (20060102), 寄件省份, 寄达省份, 产品, 重量(克) and
// 计费重量(克) in grams, 长(毫米), 宽(毫米), 高(毫米), then 邮费(分), 保价费(分), 回执费(分),
// 其他费用(分) and 合计(分) in fen, as integers.
//
// 其他附加费 / 其他费用 is the remote-area surcharge. CSV files use CRLF line ends; the
// UTF-8 one starts with a byte-order mark, as Excel writes it; the GBK one has none.

type cell struct {
	text string
	num  bool // written as a number in XLSX
}

func str(s string) cell         { return cell{text: s} }
func num(s string) cell         { return cell{text: s, num: true} }
func intCell(n int64) cell      { return num(strconv.FormatInt(n, 10)) }
func kg(g int64) cell           { return num(fmt.Sprintf("%.1f", float64(g)/1000)) }
func yuanCell(fen int64) cell   { return num(fmt.Sprintf("%d.%02d", fen/100, fen%100)) }
func cmDims(l, w, h int64) cell { return str(dims(l, w, h)) }

func dims(l, w, h int64) string {
	if l == 0 || w == 0 || h == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f*%.1f*%.1f", float64(l)/10, float64(w)/10, float64(h)/10)
}

func (b *Bill) table() ([]string, [][]cell) {
	var rows [][]cell
	if b.Carrier == "sf" {
		header := []string{"序号", "运单号", "寄件日期", "原寄地", "目的地", "产品类型", "实际重量(kg)", "计费重量(kg)",
			"尺寸(cm)", "运费(元)", "保价费(元)", "签回单费(元)", "其他附加费(元)", "应付金额(元)"}
		for _, l := range b.Lines {
			rows = append(rows, []cell{intCell(int64(l.No)), str(l.Waybill), str(l.ShipDate.In(cst).Format("2006-01-02")),
				str(l.Origin), str(l.Dest), str(l.Product), kg(l.WeightGrams), kg(l.ChargeGrams), cmDims(l.L, l.W, l.H),
				yuanCell(l.FreightFen), yuanCell(l.InsuranceFen), yuanCell(l.ReceiptFen), yuanCell(l.OtherFen), yuanCell(l.TotalFen)})
		}
		return header, rows
	}
	header := []string{"序号", "邮件号", "收寄日期", "寄件省份", "寄达省份", "产品", "重量(克)", "计费重量(克)",
		"长(毫米)", "宽(毫米)", "高(毫米)", "邮费(分)", "保价费(分)", "回执费(分)", "其他费用(分)", "合计(分)"}
	for _, l := range b.Lines {
		rows = append(rows, []cell{intCell(int64(l.No)), str(l.Waybill), str(l.ShipDate.In(cst).Format("20060102")),
			str(l.Origin), str(l.Dest), str(l.Product), intCell(l.WeightGrams), intCell(l.ChargeGrams),
			intCell(l.L), intCell(l.W), intCell(l.H), intCell(l.FreightFen), intCell(l.InsuranceFen),
			intCell(l.ReceiptFen), intCell(l.OtherFen), intCell(l.TotalFen)})
	}
	return header, rows
}

// WriteCSV writes the bill as CSV, in UTF-8 with a byte-order mark or in GBK.
func (b *Bill) WriteCSV(w io.Writer, gbk bool) error {
	var out io.Writer = w
	var tw *transform.Writer
	if gbk {
		tw = transform.NewWriter(w, simplifiedchinese.GBK.NewEncoder())
		out = tw
	} else if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("sim: write bill: %w", err)
	}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	header, rows := b.table()
	_ = cw.Write(header)
	for _, r := range rows {
		rec := make([]string, len(r))
		for i, c := range r {
			rec[i] = c.text
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("sim: write bill: %w", err)
	}
	if tw != nil {
		if err := tw.Close(); err != nil {
			return fmt.Errorf("sim: write bill: %w", err)
		}
	}
	return nil
}

// WriteXLSX writes the bill as a one-sheet XLSX workbook.
func (b *Bill) WriteXLSX(w io.Writer) error {
	header, rows := b.table()
	all := make([][]cell, 0, len(rows)+1)
	h := make([]cell, len(header))
	for i, s := range header {
		h[i] = str(s)
	}
	all = append(all, h)
	all = append(all, rows...)
	if err := writeXLSX(w, "账单", all); err != nil {
		return fmt.Errorf("sim: write bill: %w", err)
	}
	return nil
}

// WriteKey writes the answer key as indented JSON.
func (b *Bill) WriteKey(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b.Key)
}

// handleBill serves GET /sim/bills?carrier=sf&account=…&month=2025-03&format=csv
// (csv, csv-gbk, xlsx or key)&error_share=0.05.
func (s *Sim) handleBill(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	share := 0.0
	if v := q.Get("error_share"); v != "" {
		var err error
		if share, err = strconv.ParseFloat(v, 64); err != nil {
			http.Error(w, "sim: bill: error_share must be a number", http.StatusBadRequest)
			return
		}
	}
	b, err := s.Bill(q.Get("carrier"), q.Get("account"), q.Get("month"), share)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	name := fmt.Sprintf("%s-%s-%s", b.Carrier, b.Account, b.Month)
	switch q.Get("format") {
	case "", "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		err = b.WriteCSV(w, false)
	case "csv-gbk":
		w.Header().Set("Content-Type", "text/csv; charset=gbk")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`-gbk.csv"`)
		err = b.WriteCSV(w, true)
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		err = b.WriteXLSX(w)
	case "key":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		err = b.WriteKey(w)
	default:
		http.Error(w, "sim: bill: format must be csv, csv-gbk, xlsx or key", http.StatusBadRequest)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
