package settlement

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

const sfHeader = "序号,运单号,寄件日期,原寄地,目的地,产品类型,实际重量(kg),计费重量(kg),尺寸(cm),运费(元),保价费(元),签回单费(元),其他附加费(元),应付金额(元)\r\n"

func sfRow(seq, waybill, freight, total string) string {
	return seq + "," + waybill + ",2025-03-05,广东省,广东省,顺丰特快,1.2,1.5,30.0*20.0*10.0," + freight + ",0.00,0.00,0.00," + total + "\r\n"
}

func countLines(t *testing.T, h *harness, carrier, account string) int {
	t.Helper()
	var k int
	err := h.n.db.QueryRow(context.Background(), `SELECT count(*) FROM bill_row r JOIN bill_import i ON i.id = r.import_id
		WHERE i.carrier = $1 AND i.account = $2 AND i.status = 'accepted' AND r.error IS NULL AND r.known_in IS NULL`, carrier, account).Scan(&k)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReimportIdempotent: the same file twice changes nothing; a re-export in another
// order with one new line adds only that line; two identical legitimate lines both
// survive because of the occurrence counter.
func TestReimportIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	file := sfHeader + sfRow("1", "SF1400000000001", "17.00", "17.00") + sfRow("2", "SF1400000000002", "17.00", "17.00") +
		sfRow("3", "SF1400000000002", "17.00", "17.00") // identical to line 2 but for its serial number
	req := ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "march.csv", Actor: "alice"}
	first, err := h.n.ImportBill(ctx, req, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != "accepted" || first.Rows != 3 || first.Good != 3 || first.BilledFen != 5100 || first.Repeat {
		t.Fatalf("first import %+v", first)
	}
	again, err := h.n.ImportBill(ctx, req, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Repeat || again.ID != first.ID || countLines(t, h, "sf", "P1") != 3 {
		t.Fatalf("same file again: %+v, %d lines", again, countLines(t, h, "sf", "P1"))
	}
	reexport := sfHeader + sfRow("1", "SF1400000000002", "17.00", "17.00") + sfRow("2", "SF1400000000003", "23.00", "23.00") +
		sfRow("3", "SF1400000000001", "17.00", "17.00") + sfRow("4", "SF1400000000002", "17.00", "17.00")
	third, err := h.n.ImportBill(ctx, req, strings.NewReader(reexport))
	if err != nil {
		t.Fatal(err)
	}
	if third.Repeat || third.Known != 3 || countLines(t, h, "sf", "P1") != 4 {
		t.Fatalf("re-export: %+v, %d lines", third, countLines(t, h, "sf", "P1"))
	}
	var audit int
	_ = h.n.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'bill.import'`).Scan(&audit)
	if audit != 2 {
		t.Fatalf("%d import audit entries, want 2", audit)
	}
}

// TestBadInputNeverHalfImported: bad rows are reported by row number with a reason
// and nothing counts until someone accepts the rejections; a file whose header does
// not fit the layout stores nothing at all.
func TestBadInputNeverHalfImported(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	file := sfHeader + sfRow("1", "SF1400000000001", "17.00", "17.00") +
		sfRow("2", "SF1400000000002", "17.005", "17.005") +
		sfRow("3", "SF1400000000003", "1.7e1", "17.00") + // float-looking money
		"4,SF14\"00000000004,2025-03-05,广东省,广东省,顺丰特快,1.2,1.5,,17.00,0.00,0.00,0.00,17.00\r\n" + // bare quote
		sfRow("5", "SF1400000000005", "17.00", "18.00") + // total does not add up
		"6,SF1400000000006,2025/03/05,广东省,广东省,顺丰特快,1.2,1.5,,17.00,0.00,0.00,0.00,17.00\r\n" + // wrong date
		sfRow("7", "SF1400000000007", "17.00", "17.00")
	req := ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "bad.csv", Actor: "alice"}
	imp, err := h.n.ImportBill(ctx, req, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Status != "needs_review" || imp.Rows != 7 || imp.Bad != 5 || countLines(t, h, "sf", "P1") != 0 {
		t.Fatalf("import %+v; %d lines count", imp, countLines(t, h, "sf", "P1"))
	}
	wantRows := map[int]string{3: "decimal places", 4: "not yuan", 5: "bare", 6: "not the sum", 7: "date"}
	for _, e := range imp.Errors {
		if !strings.Contains(e.Reason, wantRows[e.Row]) {
			t.Errorf("row %d: reason %q, want it to mention %q", e.Row, e.Reason, wantRows[e.Row])
		}
		delete(wantRows, e.Row)
	}
	if len(wantRows) != 0 {
		t.Fatalf("rows not reported: %v (report %+v)", wantRows, imp.Errors)
	}
	if _, err := h.n.Reconcile(ctx, "sf", "P1", "2025-03", "alice"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := h.n.LastReconciliation(ctx, "sf", "P1", "2025-03"); rec.Lines != 0 {
		t.Fatalf("lines of an unaccepted import were reconciled: %+v", rec)
	}
	acc, err := h.n.AcceptImport(ctx, imp.ID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != "accepted" || countLines(t, h, "sf", "P1") != 2 {
		t.Fatalf("after accepting: %+v, %d lines", acc, countLines(t, h, "sf", "P1"))
	}
	var se *StateError
	if _, err := h.n.AcceptImport(ctx, imp.ID, "bob"); !errors.As(err, &se) {
		t.Fatalf("accepting twice: %v", err)
	}

	// The EMS layout imported as SF: the header does not fit, nothing is stored.
	var before int
	_ = h.n.db.QueryRow(ctx, `SELECT count(*) FROM bill_row`).Scan(&before)
	ems := "序号,邮件号,收寄日期,寄件省份,寄达省份,产品,重量(克),计费重量(克),长(毫米),宽(毫米),高(毫米),邮费(分),保价费(分),回执费(分),其他费用(分),合计(分)\r\n1,1100000000001,20250305,广东省,广东省,标准快递,1200,2000,0,0,0,1400,0,0,0,1400\r\n"
	_, err = h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", Actor: "alice"}, strings.NewReader(ems))
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.EN, "运单号") {
		t.Fatalf("wrong layout: %v", err)
	}
	var after, imports int
	_ = h.n.db.QueryRow(ctx, `SELECT count(*) FROM bill_row`).Scan(&after)
	_ = h.n.db.QueryRow(ctx, `SELECT count(*) FROM bill_import`).Scan(&imports)
	if after != before || imports != 1 {
		t.Fatalf("a refused file left rows behind: %d → %d rows, %d imports", before, after, imports)
	}
	// Explicit acceptance at import time takes the good rows at once.
	bad := sfHeader + sfRow("1", "SF1400000000011", "17.00", "17.00") + sfRow("2", "SF1400000000012", "x", "17.00")
	imp2, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", Actor: "alice", AcceptRejections: true}, bytes.NewReader([]byte(bad)))
	if err != nil || imp2.Status != "accepted" || imp2.Bad != 1 || countLines(t, h, "sf", "P1") != 3 {
		t.Fatalf("accept rejections: %+v %v", imp2, err)
	}
}
