package settlement

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"
)

// StatementRef names a stored statement and its SHA-256.
type StatementRef struct {
	Kind    string `json:"kind"` // carrier or city
	Subject string `json:"subject"`
	Format  string `json:"format"` // csv, xlsx or html
	SHA256  string `json:"sha256"`
}

// table is a statement's content before it is rendered into a format.
type table struct {
	Title  string
	Header []string
	Rows   [][]string
	Money  map[int]bool // columns holding fen, rendered as yuan
}

// writeStatements renders a statement per carrier and per city in every format and
// stores each with its SHA-256. Rendering is a pure function of the close: no clock,
// no map order, fixed workbook metadata, so preparing again reproduces every hash.
func (n *Node) writeStatements(ctx context.Context, tx pgx.Tx, p Period, c Close) ([]StatementRef, error) {
	var tables []struct {
		kind, subject string
		t             table
	}
	byCarrier := map[string][]AccountPayable{}
	var carriers []string
	for _, a := range c.Summary.Accounts {
		if _, ok := byCarrier[a.Carrier]; !ok {
			carriers = append(carriers, a.Carrier)
		}
		byCarrier[a.Carrier] = append(byCarrier[a.Carrier], a)
	}
	for _, carrier := range carriers {
		t := table{Title: fmt.Sprintf("%s 承运商对账单 carrier statement — %s", p, carrier),
			Header: []string{"账户 account", "类别 class", "行数 lines", "账单金额(元) billed", "贷项(元) credit notes", "应付(元) payable"},
			Money:  map[int]bool{3: true, 4: true, 5: true}}
		for _, a := range byCarrier[carrier] {
			for _, class := range Classes {
				if k := a.Classes[class]; k > 0 {
					t.Rows = append(t.Rows, []string{a.Account, class, strconv.Itoa(k), "", "", ""})
				}
			}
			t.Rows = append(t.Rows, []string{a.Account, "合计 total", strconv.Itoa(a.Lines), strconv.FormatInt(a.BilledFen, 10),
				strconv.FormatInt(a.CreditsFen, 10), strconv.FormatInt(a.PayableFen, 10)})
		}
		tables = append(tables, struct {
			kind, subject string
			t             table
		}{"carrier", carrier, t})
	}
	rows, err := tx.Query(ctx, `SELECT hall, department, case_no, carrier, account, amount_fen FROM allocation WHERE period = $1
		ORDER BY hall, department, case_no, carrier, account`, p)
	if err != nil {
		return nil, err
	}
	cities := map[string]*table{}
	var halls []string
	for rows.Next() {
		var hall, dept, caseNo, carrier, account string
		var amount int64
		if err := rows.Scan(&hall, &dept, &caseNo, &carrier, &account, &amount); err != nil {
			rows.Close()
			return nil, err
		}
		t, ok := cities[hall]
		if !ok {
			t = &table{Title: fmt.Sprintf("%s 城市分摊表 city statement — %s", p, hall),
				Header: []string{"部门 department", "办件编号 case", "承运商 carrier", "账户 account", "分摊(元) amount"},
				Money:  map[int]bool{4: true}}
			cities[hall] = t
			halls = append(halls, hall)
		}
		t.Rows = append(t.Rows, []string{dept, caseNo, carrier, account, strconv.FormatInt(amount, 10)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, h := range halls {
		tables = append(tables, struct {
			kind, subject string
			t             table
		}{"city", h, *cities[h]})
	}
	var refs []StatementRef
	for _, st := range tables {
		for _, format := range []string{"csv", "xlsx", "html"} {
			body, err := st.t.render(format)
			if err != nil {
				return nil, fmt.Errorf("statement %s %s %s: %w", st.kind, st.subject, format, err)
			}
			sum := sha256.Sum256(body)
			if _, err := tx.Exec(ctx, `INSERT INTO statement (period, kind, subject, format, sha256, body) VALUES ($1, $2, $3, $4, $5, $6)`,
				p, st.kind, st.subject, format, sum[:], body); err != nil {
				return nil, err
			}
			refs = append(refs, StatementRef{Kind: st.kind, Subject: st.subject, Format: format, SHA256: hex.EncodeToString(sum[:])})
		}
	}
	return refs, nil
}

func (t table) cell(col int, v string) string {
	if t.Money[col] && v != "" {
		fen, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return Yuan(fen)
		}
	}
	return v
}

func (t table) render(format string) ([]byte, error) {
	var buf bytes.Buffer
	switch format {
	case "csv":
		buf.WriteString("\ufeff") // Excel opens UTF-8 CSV correctly only with a BOM
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		_ = w.Write([]string{t.Title})
		_ = w.Write(t.Header)
		for _, r := range t.Rows {
			out := make([]string, len(r))
			for i, v := range r {
				out[i] = t.cell(i, v)
			}
			_ = w.Write(out)
		}
		w.Flush()
		return buf.Bytes(), w.Error()
	case "xlsx":
		return t.xlsx()
	case "html":
		err := statementHTML.Execute(&buf, t)
		return buf.Bytes(), err
	}
	return nil, errors.New("unknown format")
}

// xlsx writes one sheet with excelize. Its output is deterministic given the same
// cells: zip entries carry no timestamps, parts are written in sorted order, and the
// document properties are pinned here rather than left to the library.
func (t table) xlsx() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "Tongban settlement", Title: t.Title,
		Created: "2000-01-01T00:00:00Z", Modified: "2000-01-01T00:00:00Z"}); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", []any{t.Title}); err != nil {
		return nil, err
	}
	head := make([]any, len(t.Header))
	for i, h := range t.Header {
		head[i] = h
	}
	if err := sw.SetRow("A2", head); err != nil {
		return nil, err
	}
	for r, row := range t.Rows {
		vals := make([]any, len(row))
		for i, v := range row {
			vals[i] = t.cell(i, v)
		}
		axis, _ := excelize.CoordinatesToCellName(1, r+3)
		if err := sw.SetRow(axis, vals); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var statementHTML = template.Must(template.New("statement").Funcs(template.FuncMap{
	"cell": func(t table, i int, v string) string { return t.cell(i, v) },
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #444;padding:4px 8px;font-size:12px}
th{background:#eee}td.n{text-align:right}@media print{body{margin:0}@page{size:A4 landscape;margin:12mm}}
</style></head><body>
<h1>{{.Title}}</h1>
<table><thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{- $t := .}}{{range .Rows}}<tr>{{range $i, $v := .}}<td{{if index $t.Money $i}} class="n"{{end}}>{{cell $t $i $v}}</td>{{end}}</tr>
{{end}}</tbody></table>
<p>复核 checked by: ____________ 审批 approved by: ____________</p>
</body></html>
`))

// Statement returns a stored statement's bytes and SHA-256.
func (n *Node) Statement(ctx context.Context, p Period, kind, subject, format string) ([]byte, string, error) {
	var body, sum []byte
	err := n.db.QueryRow(ctx, `SELECT body, sha256 FROM statement WHERE period = $1 AND kind = $2 AND subject = $3 AND format = $4`,
		p, kind, subject, format).Scan(&body, &sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("settlement: statement: %w", err)
	}
	return body, hex.EncodeToString(sum), nil
}
