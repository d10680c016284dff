package settlement

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func kgText(g int64) string { return fmt.Sprintf("%d.%d", g/1000, g%1000/100) }

// billRowFor writes an SF bill row that bills fee for waybill no.
func billRowFor(seq int, no string, f Fee) string {
	return fmt.Sprintf("%d,%s,2025-04-03,广东省,广东省,顺丰特快,%s,%s,,%s,%s,%s,%s,%s\r\n", seq, no, kgText(f.ActualG), kgText(f.ChargeableG),
		Yuan(f.FreightFen), Yuan(f.InsuranceFen), Yuan(f.ReceiptFen), Yuan(f.OtherFen), Yuan(f.TotalFen))
}

// TestCloseCarryForwardAllocation runs two periods: March from the simulator's bill
// with disputes and a waybill the carrier did not bill; April billing that waybill and
// crediting a dispute while another is rejected. It checks maker-checker, the close
// identity, exact allocation at every level and reproducible statements.
func TestCloseCarryForwardAllocation(t *testing.T) {
	t.Parallel()
	s, created, voided := simMonth(t, 30)
	h := newHarness(t)
	h.tariffs(t)
	ctx := context.Background()
	for _, ev := range created {
		if ev.Carrier == "sf" {
			h.send(t, TypeWaybillCreated, ev)
		}
	}
	for _, ev := range voided {
		if ev.Carrier == "sf" {
			h.send(t, TypeWaybillVoided, WaybillEvent{Carrier: ev.Carrier, Waybill: ev.Waybill, CaseID: ev.CaseID, VoidedAt: ev.VoidedAt})
		}
	}
	late := sampleEvent("SF1499999999901") // shipped in March, the carrier bills it in April
	late.Account = "P1"
	h.send(t, TypeWaybillCreated, late)

	bill, err := s.Bill("sf", "P1", "2025-03", 0.3)
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	_ = bill.WriteCSV(&file, false)
	if _, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", Actor: "alice"}, &file); err != nil {
		t.Fatal(err)
	}
	if _, err := h.n.Reconcile(ctx, "sf", "P1", "2025-03", "alice"); err != nil {
		t.Fatal(err)
	}
	// Dispute every line with something to claim back.
	var disputes []Dispute
	for _, class := range []string{ClassOvercharged, ClassWeight, ClassDuplicate, ClassUnknown, ClassVoidedBilled} {
		ls, _ := h.n.ReconLines(ctx, "sf", "P1", "2025-03", class, 100, 0)
		for _, l := range ls {
			d, err := h.n.OpenDispute(ctx, l.ImportID, l.Row, "账单与寄出记录不符 "+class, "alice")
			if err != nil {
				t.Fatal(err)
			}
			disputes = append(disputes, d)
		}
	}
	if len(disputes) < 4 {
		t.Fatalf("only %d disputes", len(disputes))
	}
	csvFile, err := h.n.ExportDisputes(ctx, "sf", "P1")
	if err != nil || bytes.Count(csvFile, []byte("\r\n")) != len(disputes)+1 {
		t.Fatalf("dispute export: %v\n%s", err, csvFile)
	}

	march, err := h.n.PrepareClose(ctx, "2025-03", "alice")
	if err != nil {
		t.Fatal(err)
	}
	sum := march.Summary
	if sum.Previous.Count != 0 || sum.Cleared.Count != 0 || sum.Open.Count != len(disputes)+1 || sum.New != sum.Open {
		t.Fatalf("march identity: %+v", sum)
	}
	if march.PayableFen != bill.Key.BilledTotalFen {
		t.Fatalf("march payable %d, billed %d", march.PayableFen, bill.Key.BilledTotalFen)
	}
	checkAllocation(t, h, "2025-03", march.PayableFen)
	again, err := h.n.PrepareClose(ctx, "2025-03", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again.Summary.Statements) != fmt.Sprint(march.Summary.Statements) || len(march.Summary.Statements) != 6 {
		t.Fatalf("statements differ between two preparations:\n%v\n%v", march.Summary.Statements, again.Summary.Statements)
	}
	body, sha, err := h.n.Statement(ctx, "2025-03", "city", "440100", "xlsx")
	if err != nil || len(body) == 0 || sha != again.Summary.Statements[4].SHA256 {
		t.Fatalf("city xlsx: %v %s %+v", err, sha, again.Summary.Statements[4])
	}
	if _, err := h.n.ApproveClose(ctx, "2025-03", "alice"); !errors.Is(err, ErrMakerChecker) {
		t.Fatalf("maker approved own close: %v", err)
	}
	if c, err := h.n.ApproveClose(ctx, "2025-03", "bob"); err != nil || c.Status != "closed" || c.ApprovedBy != "bob" {
		t.Fatalf("approve: %+v %v", c, err)
	}
	if _, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", Actor: "alice"},
		strings.NewReader(sfHeader+sfRow("1", "SF1400000000001", "1.00", "1.00"))); !errors.Is(err, ErrPeriodClosed) {
		t.Fatalf("import into a closed period: %v", err)
	}
	if _, err := h.n.Reconcile(ctx, "sf", "P1", "2025-03", "alice"); !errors.Is(err, ErrPeriodClosed) {
		t.Fatalf("reconcile a closed period: %v", err)
	}

	// April: the late waybill is billed, one dispute is credited on the bill, another rejected.
	h.clock.Set(time.Date(2025, 4, 20, 10, 0, 0, 0, shanghai))
	fee, err := h.n.WaybillFee(ctx, "sf", late.Waybill)
	if err != nil {
		t.Fatal(err)
	}
	credited, rejected := disputes[0], disputes[1]
	april := sfHeader + billRowFor(1, late.Waybill, fee) +
		fmt.Sprintf("2,%s,2025-04-03,广东省,广东省,顺丰特快,,,,-%s,0.00,0.00,0.00,-%s\r\n", credited.Waybill, Yuan(credited.ClaimFen), Yuan(credited.ClaimFen))
	if _, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-04", Actor: "alice"}, strings.NewReader(april)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.n.DecideDispute(ctx, rejected.ID, DisputeReject, 0, "carrier shows the scale record", "alice"); err != nil {
		t.Fatal(err)
	}
	rec, err := h.n.Reconcile(ctx, "sf", "P1", "2025-04", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Classes[ClassMatched] != 1 || rec.Classes[ClassCredit] != 1 || rec.Unbilled != 0 {
		t.Fatalf("april reconciliation: %+v", rec)
	}
	if d, _ := h.n.Dispute(ctx, credited.ID); d.Status != DisputeSettled || d.CreditedFen != credited.ClaimFen {
		t.Fatalf("credited dispute: %+v", d)
	}
	h.clock.Set(time.Date(2025, 5, 1, 2, 0, 0, 0, shanghai))
	if ok, err := h.n.RunCloseJob(ctx); err != nil || !ok {
		t.Fatalf("close job: %v %v", ok, err)
	}
	if ok, err := h.n.RunCloseJob(ctx); err != nil || ok {
		t.Fatalf("close job ran twice: %v %v", ok, err)
	}
	ac, err := h.n.Close(ctx, "2025-04")
	if err != nil {
		t.Fatal(err)
	}
	as := ac.Summary
	wantCleared := 3 // the late waybill, the credited and the rejected dispute
	if as.Previous != sum.Open || as.Cleared.Count != wantCleared || as.New.Count != 0 ||
		as.Open.Count != as.Previous.Count-wantCleared || as.Open.Fen != as.Previous.Fen+as.New.Fen-as.Cleared.Fen {
		t.Fatalf("april identity: %+v (march open %+v)", as, sum.Open)
	}
	if ac.PreparedBy != CronActor || ac.PayableFen != fee.TotalFen-credited.ClaimFen {
		t.Fatalf("april close: %+v", ac)
	}
	checkAllocation(t, h, "2025-04", ac.PayableFen)
	if v, err := h.n.VerifyAudit(ctx); err != nil || !v.OK || v.Entries < 10 {
		t.Fatalf("audit: %+v %v", v, err)
	}
}

// checkAllocation: cases, departments and cities each add up to the payable.
func checkAllocation(t *testing.T, h *harness, p Period, payable int64) {
	t.Helper()
	as, err := h.n.Allocations(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	var cases int64
	depts, cities := map[string]int64{}, map[string]int64{}
	for _, a := range as {
		cases += a.AmountFen
		depts[a.Hall+"/"+a.Department] += a.AmountFen
		cities[a.Hall] += a.AmountFen
	}
	var d, c int64
	for _, v := range depts {
		d += v
	}
	for _, v := range cities {
		c += v
	}
	if cases != payable || d != payable || c != payable {
		t.Fatalf("%s allocation: cases %d, departments %d, cities %d, payable %d", p, cases, d, c, payable)
	}
}
