package settlement

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// outcome is what a reconciliation says and the lines it leaves, for comparing runs.
type outcome struct {
	rec   Reconciliation
	lines []ReconLine
}

func reconcileOutcome(t *testing.T, h *harness, period Period) outcome {
	t.Helper()
	ctx := context.Background()
	rec, err := h.n.Reconcile(ctx, "sf", "P1", period, "alice")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := h.n.ReconLines(ctx, "sf", "P1", period, "", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	rec.RunID, rec.At = 0, time.Time{}
	return outcome{rec, lines}
}

// fromScratch reconciles after throwing away every stored result, so every line is
// classified again.
func fromScratch(t *testing.T, h *harness, period Period) outcome {
	t.Helper()
	if _, err := h.n.db.Exec(context.Background(), `UPDATE bill_import SET pre_stamp = NULL;
		UPDATE bill_row SET res_waybill_id = NULL, res_class = NULL, res_expected_fen = NULL,
			res_expected_charge_g = NULL, res_tariff_id = NULL`); err != nil {
		t.Fatal(err)
	}
	return reconcileOutcome(t, h, period)
}

// precomputedValid reports whether the import's stored results would be published
// as they are.
func precomputedValid(t *testing.T, h *harness, id int64) bool {
	t.Helper()
	var ok bool
	if err := h.n.db.QueryRow(context.Background(), `SELECT coalesce(pre_stamp = (SELECT version FROM settlement_stamp), false)
		FROM bill_import WHERE id = $1`, id).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func sameOutcome(t *testing.T, what string, got, want outcome) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// TestReconcilePrecomputed: the results an import computes while it streams are the
// ones a classification from scratch gives; after the ledger changes (a waybill
// arrives for a line that was unknown, another is voided) reconciliation classifies
// again and still agrees with a from-scratch run; a re-run on unchanged data
// publishes the stored results again with the same digest; a second import of the
// period is classified together with the first.
func TestReconcilePrecomputed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tariffs(t)
	ctx := context.Background()
	events := map[string]WaybillEvent{}
	for i := 1; i <= 6; i++ {
		ev := sampleEvent(fmt.Sprintf("SF14000000000%02d", i))
		ev.ReturnReceipt = i%2 == 0
		events[ev.Waybill] = ev
		h.send(t, TypeWaybillCreated, ev)
	}
	late := sampleEvent("SF1400000000099")
	late.CreatedAt = time.Date(2025, 3, 30, 10, 0, 0, 0, shanghai)
	file := sfHeader + sfRow("1", "SF1400000000001", "23.00", "23.00") + sfRow("2", "SF1400000000002", "17.00", "17.00") +
		sfRow("3", "SF1400000000002", "17.00", "17.00") + sfRow("4", "SF1400000000099", "17.00", "17.00") +
		sfRow("5", "SF1400000000003", "-5.00", "-5.00") + sfRow("6", "SF1400000000004", "40.00", "40.00") +
		sfRow("7", "SF1400000000005", "14.00", "14.00")
	imp, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "march.csv", Actor: "alice"},
		strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if !precomputedValid(t, h, imp.ID) {
		t.Fatal("the import stored no results to publish")
	}
	// Lines 2 and 3 differ only in their serial number: one fingerprint, two occurrences.
	var occ []int32
	if err := h.n.db.QueryRow(ctx, `SELECT array_agg(occurrence ORDER BY row_no) FROM bill_row WHERE import_id = $1`, imp.ID).Scan(&occ); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(occ, []int32{1, 1, 2, 1, 1, 1, 1}) {
		t.Fatalf("occurrences %v", occ)
	}
	first := reconcileOutcome(t, h, "2025-03")
	if first.rec.Lines != 7 || first.rec.Unbilled != 2 || first.rec.Classes[ClassDuplicate] != 1 || first.rec.Classes[ClassUnknown] != 1 ||
		first.rec.Classes[ClassCredit] != 1 || len(first.lines) != 7 {
		t.Fatalf("first run %+v", first.rec)
	}
	if !precomputedValid(t, h, imp.ID) {
		t.Fatal("a run on the stored results did not keep them for the next")
	}
	sameOutcome(t, "stored results against a classification from scratch", first, fromScratch(t, h, "2025-03"))
	again := reconcileOutcome(t, h, "2025-03")
	sameOutcome(t, "re-run on unchanged data", again, first)

	// The ledger moves: the unknown waybill arrives, another is voided.
	h.send(t, TypeWaybillCreated, late)
	voided := events["SF1400000000004"]
	voided.VoidedAt = time.Date(2025, 3, 31, 9, 0, 0, 0, shanghai)
	h.send(t, TypeWaybillVoided, voided)
	if precomputedValid(t, h, imp.ID) {
		t.Fatal("stored results survived a change to the ledger")
	}
	changed := reconcileOutcome(t, h, "2025-03")
	if changed.rec.Classes[ClassUnknown] != 0 || changed.rec.Classes[ClassVoidedBilled] != 1 || changed.rec.Digest == first.rec.Digest {
		t.Fatalf("after the ledger changed %+v", changed.rec)
	}
	sameOutcome(t, "after the ledger changed", changed, fromScratch(t, h, "2025-03"))
	sameOutcome(t, "re-run after the change", reconcileOutcome(t, h, "2025-03"), changed)

	// A second file for the period: its lines come after the first file's.
	second := sfHeader + sfRow("1", "SF1400000000006", "17.00", "17.00") + sfRow("2", "SF1400000000001", "24.00", "24.00")
	if _, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "march-2.csv", Actor: "alice"},
		strings.NewReader(second)); err != nil {
		t.Fatal(err)
	}
	both := reconcileOutcome(t, h, "2025-03")
	if both.rec.Lines != 9 || both.rec.Unbilled != 1 || both.rec.Classes[ClassDuplicate] != 2 {
		t.Fatalf("two imports %+v", both.rec)
	}
	sameOutcome(t, "two imports", both, fromScratch(t, h, "2025-03"))
}

// TestReconcileClaimAcrossAccounts: a waybill claimed by a published line of another
// account in an open period cannot be claimed again; reconciliation refuses rather
// than publish two claims.
func TestReconcileClaimAcrossAccounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tariffs(t)
	ctx := context.Background()
	h.send(t, TypeWaybillCreated, sampleEvent("SF1400000000001"))
	// Billed to P2 in April (a wrong account, which still claims the waybill) ...
	if _, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P2", Period: "2025-04", FileName: "p2.csv", Actor: "alice"},
		strings.NewReader(sfHeader+sfRow("1", "SF1400000000001", "17.00", "17.00"))); err != nil {
		t.Fatal(err)
	}
	rec, err := h.n.Reconcile(ctx, "sf", "P2", "2025-04", "alice")
	if err != nil || rec.Classes[ClassWrongAccount] != 1 {
		t.Fatalf("P2: %+v, %v", rec, err)
	}
	// ... and to P1 in March, which does not see April's claim as an earlier one.
	if _, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "p1.csv", Actor: "alice"},
		strings.NewReader(sfHeader+sfRow("1", "SF1400000000001", "17.00", "17.00"))); err != nil {
		t.Fatal(err)
	}
	var se *StateError
	if _, err := h.n.Reconcile(ctx, "sf", "P1", "2025-03", "alice"); err == nil || !errors.As(err, &se) {
		t.Fatalf("second claim of the waybill: %v", err)
	}
	var claims int
	if err := h.n.db.QueryRow(ctx, `SELECT count(*) FROM recon_line WHERE class NOT IN ('duplicate', 'credit') AND waybill_id IS NOT NULL`).Scan(&claims); err != nil {
		t.Fatal(err)
	}
	if claims != 1 {
		t.Fatalf("%d claims of one waybill", claims)
	}
}

// TestReconcilePrecomputedLarge: with more waybills than one batch of the loader and
// a bill that lists them partly out of order and repeats some, the results the
// import computes are still those of a classification from scratch.
func TestReconcilePrecomputedLarge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	tariff, err := h.n.CreateTariff(ctx, "alice", simTariffs()[0])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bill.csv")
	if err := benchSetup(ctx, h.n.db, &tariff, 3*preBatchSize, path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\r\n")
	head, body := lines[0], lines[1:len(lines)-1]
	rng := rand.New(rand.NewPCG(1, 2))
	tail := body[len(body)/2:]
	rng.Shuffle(len(tail), func(i, j int) { tail[i], tail[j] = tail[j], tail[i] })
	for range 50 {
		body = append(body, "9"+body[rng.IntN(len(body))])
	}
	imp, err := h.n.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "big.csv", Actor: "alice"},
		strings.NewReader(head+strings.Join(body, "")))
	if err != nil {
		t.Fatal(err)
	}
	if imp.Rows != len(body) || !precomputedValid(t, h, imp.ID) {
		t.Fatalf("import %+v", imp)
	}
	stored := reconcileOutcome(t, h, "2025-03")
	if stored.rec.Lines != len(body) || stored.rec.Classes[ClassDuplicate] < 50 {
		t.Fatalf("reconciliation %+v", stored.rec)
	}
	sameOutcome(t, "large bill", stored, fromScratch(t, h, "2025-03"))
}
