package settlement

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tongban/tongban/internal/envelope"
	"github.com/tongban/tongban/internal/pg/pgtest"
	"github.com/tongban/tongban/internal/pii"
)

// BenchmarkImportReconcile1M imports and reconciles a bill of 1,000,000 lines (or
// TONGBAN_BENCH_LINES) against as many waybills, and in the same run times
// PostgreSQL's own COPY of the same file into a plain table of text columns: the
// yardstick for "import + reconcile ≤ 3 × raw COPY". The waybills and the file are
// set up outside the timing. Run it once:
//
//	go test ./settlement -run '^$' -bench ImportReconcile1M -benchtime 1x
//
// The last line it prints is RESULT lines=… seconds=… copy_seconds=… ratio=….
func BenchmarkImportReconcile1M(b *testing.B) {
	lines := 1_000_000
	if s := os.Getenv("TONGBAN_BENCH_LINES"); s != "" {
		lines, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	db := pgtest.New(b, Sources()...)
	data, err := pii.NewAESKeyring("k1", map[string][]byte{"k1": pii.GenerateKey()})
	if err != nil {
		b.Fatal(err)
	}
	node, err := NewNode(Options{DB: db, Keys: envelope.NewKeyring(Self, nil), Log: quietLog(), Data: data,
		Clock: func() time.Time { return time.Date(2025, 4, 2, 10, 0, 0, 0, shanghai) }})
	if err != nil {
		b.Fatal(err)
	}
	tariff, err := node.CreateTariff(ctx, "bench", simTariffs()[0])
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bill.csv")
	if err := benchSetup(ctx, db, &tariff, lines, path); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(ctx, `ANALYZE waybill`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(ctx, `CREATE TABLE bench_raw (seq text, waybill text, ship_date text, origin text, destination text, product text,
		weight text, charge_weight text, dims text, freight text, insurance text, receipt text, other text, total text)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		copyTook, err := rawCopy(ctx, db, path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		imp, err := node.ImportBill(ctx, ImportRequest{Carrier: "sf", Account: "P1", Period: "2025-03", FileName: "bill.csv", Actor: "bench"}, f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		importTook := time.Since(start)
		rec, err := node.Reconcile(ctx, "sf", "P1", "2025-03", "bench")
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if imp.Rows != lines || rec.Lines != lines || rec.Classes[ClassMatched] < lines*9/10 {
			b.Fatalf("import %+v, reconciliation %+v", imp, rec)
		}
		b.ReportMetric(float64(lines)/took.Seconds(), "lines/s")
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(copyTook.Seconds(), "copy_s")
		fmt.Printf("import %.2fs, reconcile %.2fs, classes %v\n", importTook.Seconds(), (took - importTook).Seconds(), rec.Classes)
		fmt.Printf("RESULT lines=%d seconds=%.2f copy_seconds=%.2f ratio=%.2f\n", lines, took.Seconds(), copyTook.Seconds(), took.Seconds()/copyTook.Seconds())
		// A second round needs a fresh bill; one is what the benchmark is for.
		if _, err := db.Exec(ctx, `TRUNCATE bench_raw`); err != nil {
			b.Fatal(err)
		}
	}
}

// rawCopy is PostgreSQL loading the file with nothing of ours in the way.
func rawCopy(ctx context.Context, db *pgxpool.Pool, path string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	conn, err := db.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	start := time.Now()
	_, err = conn.Conn().PgConn().CopyFrom(ctx, f, `COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)`)
	return time.Since(start), err
}

// benchSetup loads the waybills with COPY and writes the bill file: every waybill
// billed at its expected fee, one in fifty overcharged.
func benchSetup(ctx context.Context, db *pgxpool.Pool, t *Tariff, lines int, path string) error {
	created := time.Date(2025, 3, 10, 9, 0, 0, 0, shanghai)
	dests := []string{"440604", "440104", "110105", "650102", "320106"}
	parcel := func(i int) (string, Parcel) {
		return fmt.Sprintf("SF14%011d", i), Parcel{Carrier: "sf", Product: "顺丰特快", Account: "P1", OriginDivision: "440106",
			DestDivision: dests[i%len(dests)], WeightG: int64(200 + i%5000), LengthMM: 300, WidthMM: 200, HeightMM: int64(50 + i%200),
			Insured: i%4 == 0, DeclaredValueFen: 100000, ReturnReceipt: i%9 == 0, CreatedAt: created}
	}
	i := 0
	_, err := db.CopyFrom(ctx, pgx.Identifier{"waybill"}, []string{"carrier", "waybill_no", "product", "account", "origin_division",
		"destination_division", "weight_g", "length_mm", "width_mm", "height_mm", "insured", "declared_value_fen", "return_receipt",
		"quoted_fee_fen", "case_id", "case_no", "hall", "department", "created_at", "period", "envelope_id"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == lines {
				return nil, nil
			}
			no, p := parcel(i)
			i++
			return []any{"sf", no, p.Product, p.Account, p.OriginDivision, p.DestDivision, p.WeightG, p.LengthMM, p.WidthMM, p.HeightMM,
				p.Insured, p.DeclaredValueFen, p.ReturnReceipt, int64(0), uuid.New(), fmt.Sprintf("C%08d", i%100000), "440100",
				"佛山市市场监督管理局", created, "2025-03", uuid.New()}, nil
		}))
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("\ufeff" + sfHeader)
	for i := range lines {
		no, p := parcel(i)
		fee, err := ExpectedFee(t, p)
		if err != nil {
			return err
		}
		if i%50 == 7 {
			fee.FreightFen += 300
			fee.TotalFen += 300
		}
		dest := provinces[p.DestDivision[:2]]
		fmt.Fprintf(w, "%d,%s,2025-03-10,广东省,%s,顺丰特快,%s,%s,30.0*20.0*%d.%d,%s,%s,%s,%s,%s\r\n", i+1, no, dest,
			kgText(p.WeightG), kgText(fee.ChargeableG), p.HeightMM/10, p.HeightMM%10,
			Yuan(fee.FreightFen), Yuan(fee.InsuranceFen), Yuan(fee.ReceiptFen), Yuan(fee.OtherFen), Yuan(fee.TotalFen))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
