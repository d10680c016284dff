package settlement

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/ems"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/courier/sim"
)

// simMonth books n SF and n EMS orders in March 2025 through the simulator's real
// gateways, cancels every seventh, and returns the simulator with the waybill events
// the halls would have sent for them (created, and voided for the cancelled ones).
func simMonth(t *testing.T, n int) (*sim.Sim, []WaybillEvent, []WaybillEvent) {
	t.Helper()
	s, err := sim.New(sim.Config{
		SF:   []sim.SFAccount{{PartnerID: "P1", CheckWord: "cw", MonthlyCard: "7551234567"}},
		EMS:  []sim.EMSAccount{{AppKey: "E1", Secret: "es", SenderNo: "S1"}},
		Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	client := func(path string) courier.ClientConfig {
		return courier.ClientConfig{BaseURL: srv.URL + path, RatePerSecond: -1, Logger: quietLog()}
	}
	sfa, err := sf.New(sf.Config{PartnerID: "P1", CheckWord: "cw", MonthlyCard: "7551234567", Client: client("/sf")})
	if err != nil {
		t.Fatal(err)
	}
	emsa, err := ems.New(ems.Config{AppKey: "E1", Secret: "es", SenderNo: "S1", Client: client("/ems")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	type dest struct{ code, province, city, addr string }
	dests := []dest{
		{"440104", "广东省", "广州市", "广东省广州市越秀区府前路1号"},
		{"440604", "广东省", "佛山市", "广东省佛山市禅城区岭南大道1号"},
		{"110105", "北京市", "北京市", "北京市朝阳区工体东路1号"},
		{"650102", "新疆维吾尔自治区", "乌鲁木齐市", "新疆维吾尔自治区乌鲁木齐市天山区1号"},
		{"320106", "江苏省", "南京市", "江苏省南京市鼓楼区1号"},
	}
	sender := courier.Party{Name: "天河区政务服务中心", Phone: "02087654321", Province: "广东省", City: "广州市",
		Address: "广东省广州市天河区天府路1号", DivisionCode: "440106"}
	var created, voided []WaybillEvent
	for i := range n {
		for _, carrier := range []string{"sf", "ems"} {
			d := dests[(i+len(carrier))%len(dests)]
			sh := courier.Shipment{
				OrderID: courier.OrderID(fmt.Sprintf("440106-2025-%06d", i), carrier), Product: "1",
				Sender: sender, Recipient: courier.Party{Name: "收件窗口", Phone: "13912345678", Province: d.province, City: d.city,
					Address: d.addr, DivisionCode: d.code},
				WeightGrams: int64(300 + (i*337)%4000), ReturnReceipt: i%5 == 0,
			}
			if i%3 != 0 {
				sh.LengthMM, sh.WidthMM, sh.HeightMM = 300, 200+int64(i%7)*40, 100+int64(i%4)*60
			}
			if i%4 == 1 {
				sh.Insured, sh.DeclaredValueFen = true, int64(50000+i*1234)
			}
			at := s.Now()
			var o courier.Order
			if carrier == "sf" {
				o, err = sfa.Create(ctx, sh)
			} else {
				o, err = emsa.Create(ctx, sh)
			}
			if err != nil {
				t.Fatalf("%s create %d: %v", carrier, i, err)
			}
			ev := WaybillEvent{Carrier: carrier, Product: map[string]string{"sf": "顺丰特快", "ems": "标准快递"}[carrier],
				Account: map[string]string{"sf": "P1", "ems": "E1"}[carrier], Waybill: o.Waybill,
				OriginDivision: "440106", DestinationDivision: d.code, WeightG: sh.WeightGrams,
				LengthMM: sh.LengthMM, WidthMM: sh.WidthMM, HeightMM: sh.HeightMM, Insured: sh.Insured,
				DeclaredValueFen: sh.DeclaredValueFen, ReturnReceipt: sh.ReturnReceipt, QuotedFeeFen: o.QuotedFeeFen,
				CaseID: uuid.NewString(), CaseNo: fmt.Sprintf("440100202503%08d", i), Hall: "440100",
				Department: []string{"佛山市市场监督管理局", "佛山市人力资源和社会保障局", "佛山市公安局"}[i%3], CreatedAt: at}
			created = append(created, ev)
			if i%7 == 6 {
				if carrier == "sf" {
					err = sfa.Cancel(ctx, sh.OrderID, o.Waybill)
				} else {
					err = emsa.Cancel(ctx, sh.OrderID, o.Waybill)
				}
				if err != nil {
					t.Fatalf("%s cancel %d: %v", carrier, i, err)
				}
				v := ev
				v.VoidedAt = at.Add(time.Hour)
				voided = append(voided, v)
			}
		}
		s.Advance(ctx, 11*time.Hour)
	}
	return s, created, voided
}

// simClass is the settlement class each planted error must be found as.
var simClass = map[string]string{
	sim.ClassOvercharge:      ClassOvercharged,
	sim.ClassWeightInflation: ClassWeight,
	sim.ClassDuplicateLine:   ClassDuplicate,
	sim.ClassUnknownWaybill:  ClassUnknown,
	sim.ClassCancelledBilled: ClassVoidedBilled,
}

// TestReconcileAgainstAnswerKey imports the simulator's bills (SF as GBK CSV, EMS as
// XLSX) and checks every line's class against the answer key: each planted error in
// its class, every other line matched.
func TestReconcileAgainstAnswerKey(t *testing.T) {
	t.Parallel()
	s, created, voided := simMonth(t, 56)
	h := newHarness(t)
	h.tariffs(t)
	for _, ev := range created {
		h.send(t, TypeWaybillCreated, ev)
	}
	for _, ev := range voided {
		h.send(t, TypeWaybillVoided, WaybillEvent{Carrier: ev.Carrier, Waybill: ev.Waybill, CaseID: ev.CaseID, VoidedAt: ev.VoidedAt})
	}
	ctx := context.Background()
	for _, tc := range []struct{ carrier, account, format string }{{"sf", "P1", "csv-gbk"}, {"ems", "E1", "xlsx"}} {
		bill, err := s.Bill(tc.carrier, tc.account, "2025-03", 0.25)
		if err != nil {
			t.Fatal(err)
		}
		if len(bill.Key.Errors) < 8 {
			t.Fatalf("%s: only %d planted errors", tc.carrier, len(bill.Key.Errors))
		}
		var file bytes.Buffer
		if tc.format == "xlsx" {
			err = bill.WriteXLSX(&file)
		} else {
			err = bill.WriteCSV(&file, true)
		}
		if err != nil {
			t.Fatal(err)
		}
		imp, err := h.n.ImportBill(ctx, ImportRequest{Carrier: tc.carrier, Account: tc.account, Period: "2025-03", FileName: "bill", Actor: "alice"}, &file)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Status != "accepted" || imp.Bad != 0 || imp.Rows != bill.Key.Lines || imp.BilledFen != bill.Key.BilledTotalFen {
			t.Fatalf("%s import: %+v (key: %d lines, %d fen)", tc.carrier, imp, bill.Key.Lines, bill.Key.BilledTotalFen)
		}
		rec, err := h.n.Reconcile(ctx, tc.carrier, tc.account, "2025-03", "alice")
		if err != nil {
			t.Fatal(err)
		}
		lines, err := h.n.ReconLines(ctx, tc.carrier, tc.account, "2025-03", "", 10000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != bill.Key.Lines {
			t.Fatalf("%s: %d results for %d lines", tc.carrier, len(lines), bill.Key.Lines)
		}
		found := map[string]int{}
		for _, l := range lines {
			want := ClassMatched
			if planted, ok := bill.Key.Errors[l.Row-1]; ok {
				want = simClass[planted]
			}
			if l.Class != want {
				t.Errorf("%s line %d (%s): class %s, answer key says %s (billed %d, expected %v)", tc.carrier, l.Row-1, l.Waybill, l.Class, want, l.BilledFen, deref(l.ExpectedFen))
			}
			if want != ClassMatched {
				found[want]++
			}
		}
		// Overcharged and weight-inflated lines: what we expected is what the key says was right.
		for _, l := range lines {
			if c, ok := bill.Key.CorrectTotalFen[l.Row-1]; ok && (l.Class == ClassOvercharged || l.Class == ClassWeight) && *l.ExpectedFen != c {
				t.Errorf("%s line %d: expected %d fen, key says %d", tc.carrier, l.Row-1, *l.ExpectedFen, c)
			}
		}
		t.Logf("%s: %d lines, planted %d, found by class %v, digest %s", tc.carrier, rec.Lines, len(bill.Key.Errors), found, rec.Digest[:12])
		again, err := h.n.Reconcile(ctx, tc.carrier, tc.account, "2025-03", "bob")
		if err != nil {
			t.Fatal(err)
		}
		if again.Digest != rec.Digest || fmt.Sprint(again.Classes) != fmt.Sprint(rec.Classes) {
			t.Fatalf("%s: a re-run differs: %v %s vs %v %s", tc.carrier, again.Classes, again.Digest, rec.Classes, rec.Digest)
		}
	}
}
